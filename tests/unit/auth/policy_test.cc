// Per-principal policies: action wildcards, stream globs, which stream a request targets, and the
// account-level resource "*".

#include "auth/policy.h"

#include <gtest/gtest.h>

namespace kbridge::auth {
namespace {

TEST(Glob, StarAndQuestionMark) {
  EXPECT_TRUE(globMatch("*", ""));
  EXPECT_TRUE(globMatch("*", "anything"));
  EXPECT_TRUE(globMatch("orders-*", "orders-eu"));
  EXPECT_TRUE(globMatch("orders-*", "orders-"));
  EXPECT_FALSE(globMatch("orders-*", "orders"));
  EXPECT_FALSE(globMatch("orders-*", "payments"));
  EXPECT_TRUE(globMatch("o?ders-*-eu", "orders-x-eu"));
  EXPECT_FALSE(globMatch("o?ders", "oders"));
  EXPECT_TRUE(globMatch("*a*b*c", "xxaxxbxxbc"));
  EXPECT_FALSE(globMatch("*a*b*c", "xxaxxbxxbcd"));
  EXPECT_FALSE(globMatch("Orders-*", "orders-eu"));
  EXPECT_TRUE(globMatch("Orders-*", "orders-eu", /*ignoreCase=*/true));
  // No exponential backtracking.
  EXPECT_FALSE(globMatch("*a*a*a*a*a*a*a*a*a*a*b", std::string(200, 'a')));
}

Principal orderWriter() {
  return Principal{"orders-writer", "AKIDORDERS", {"kinesis:PutRecord*"}, {"orders-*"}};
}

TEST(Policy, ActionWildcardsAreCaseInsensitive) {
  const auto p = orderWriter();
  EXPECT_TRUE(actionAllowed(p, "kinesis:PutRecord"));
  EXPECT_TRUE(actionAllowed(p, "kinesis:PutRecords"));
  EXPECT_TRUE(actionAllowed(p, "kinesis:putrecords"));
  EXPECT_FALSE(actionAllowed(p, "kinesis:GetRecords"));
  EXPECT_FALSE(actionAllowed(p, "kinesis:DeleteStream"));
  Principal all{"admin", "AKIDADMIN", {"*"}, {"*"}};
  EXPECT_TRUE(actionAllowed(all, "kinesis:DeleteStream"));
  Principal kinesis{"k", "AKIDK", {"kinesis:*"}, {"*"}};
  EXPECT_TRUE(actionAllowed(kinesis, "kinesis:ListStreams"));
  Principal readers{"r", "AKIDR", {"kinesis:Get*", "kinesis:Describe*"}, {"*"}};
  EXPECT_TRUE(actionAllowed(readers, "kinesis:GetShardIterator"));
  EXPECT_TRUE(actionAllowed(readers, "kinesis:DescribeStreamSummary"));
  EXPECT_FALSE(actionAllowed(readers, "kinesis:PutRecord"));
}

TEST(Policy, StreamGlobsAndTheAccountLevelResource) {
  const auto p = orderWriter();
  EXPECT_TRUE(streamAllowed(p, std::string("orders-eu")));
  EXPECT_FALSE(streamAllowed(p, std::string("payments")));
  // Requests without a stream act on resource "*", which only the pattern "*" allows.
  EXPECT_FALSE(streamAllowed(p, std::nullopt));
  EXPECT_FALSE(allowsEveryStream(p));
  Principal every{"e", "AKIDE", {"*"}, {"orders-*", "*"}};
  EXPECT_TRUE(streamAllowed(every, std::nullopt));
  EXPECT_TRUE(allowsEveryStream(every));
}

TEST(Policy, TargetStreamFromNameOrArn) {
  using nlohmann::json;
  EXPECT_EQ(targetStream(json{{"StreamName", "orders-eu"}}), "orders-eu");
  EXPECT_EQ(targetStream(json{{"StreamARN", "arn:aws:kinesis:us-east-1:000000000000:stream/x"}}),
            "x");
  EXPECT_EQ(
      targetStream(json{{"ConsumerARN",
                         "arn:aws:kinesis:us-east-1:000000000000:stream/x/consumer/c:1700000000"}}),
      "x");
  EXPECT_EQ(targetStream(json{{"StreamName", "a"}, {"StreamARN", "arn:aws:kinesis:r:1:stream/b"}}),
            "a");
  EXPECT_EQ(targetStream(json{{"Limit", 10}}), std::nullopt);
  EXPECT_EQ(targetStream(json{{"StreamARN", "arn:aws:s3:::bucket"}}), std::nullopt);
  EXPECT_EQ(targetStream(json::array()), std::nullopt);
  EXPECT_EQ(streamOfArn("arn:aws:kinesis:us-east-1:000000000000:stream/"), std::nullopt);
  EXPECT_EQ(streamOfArn("not-an-arn"), std::nullopt);
}

}  // namespace
}  // namespace kbridge::auth
