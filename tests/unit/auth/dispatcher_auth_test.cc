// The Kinesis endpoint with auth.mode "sigv4", hermetically: where the check sits in the order of
// AWS's checks, AWS's error types, statuses and messages, and that a denied request changes
// nothing.

#include <gtest/gtest.h>

#include "auth/authenticator.h"
#include "auth/test_signer.h"
#include "fakes/fake_kafka.h"
#include "fakes/fake_services.h"
#include "kinesis/dispatcher.h"
#include "streams/catalog.h"

namespace kbridge::kinesis {
namespace {

using testing::FakeKafkaAdmin;
using testing::InMemoryCatalogLog;

constexpr std::int64_t kNow = 1'795'334'400'000;  // 2026-11-22T08:00:00Z

class DispatcherAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = std::make_unique<streams::Catalog>(std::make_unique<InMemoryCatalogLog>(),
                                                  std::chrono::milliseconds(100));
    ASSERT_TRUE(catalog_->start());
    auto config = std::make_shared<config::Config>();
    config->auth.mode = config::AuthMode::kSigV4;
    config->auth.region = "us-east-1";
    config->auth.principals = {
        {"admin", "AKIDADMIN", "ADMIN_SECRET", "admin-secret", {"*"}, {"*"}, "", ""},
        {"orders-writer",
         "AKIDORDERS",
         "ORDERS_SECRET",
         "orders-secret",
         {"kinesis:PutRecord*"},
         {"orders-*"},
         "ORDERS_TOKEN",
         "orders-token"},
    };
    testing::useFakes(services_, config, *catalog_, admin_, clock_, inline_, topics_);
    authenticator_ = std::make_unique<auth::Authenticator>(*config, clock_);
    dispatcher_ = std::make_unique<Dispatcher>(services_, authenticator_.get());
  }

  http::Request request(std::string_view action, const Json& body) {
    http::Request r;
    r.method = "POST";
    r.target = "/";
    r.headers = {{"Host", "127.0.0.1:4567"},
                 {"Content-Type", "application/x-amz-json-1.1"},
                 {"X-Amz-Target", "Kinesis_20131202." + std::string(action)}};
    r.body = body.dump();
    return r;
  }

  http::Response send(http::Request r) {
    std::optional<http::Response> out;
    dispatcher_->handle(std::move(r), [&](http::Response resp) { out = std::move(resp); });
    EXPECT_TRUE(out);
    return out.value_or(http::Response{});
  }

  http::Response as(const std::string& key, const std::string& secret, std::string_view action,
                    const Json& body) {
    auto r = request(action, body);
    auth::testing::signRequest(r, key, secret, "us-east-1", clock_.nowMillis());
    return send(std::move(r));
  }
  http::Response asAdmin(std::string_view action, const Json& body) {
    return as("AKIDADMIN", "admin-secret", action, body);
  }
  http::Response asOrders(std::string_view action, const Json& body) {
    return as("AKIDORDERS", "orders-secret", action, body);
  }

  static Json errorOf(const http::Response& r) { return Json::parse(r.body); }

  std::unique_ptr<streams::Catalog> catalog_;
  FakeKafkaAdmin admin_;
  testing::InMemoryTopics topics_;
  ManualClock clock_{kNow};
  InlineExecutor inline_;
  Services services_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatcherAuthTest, UnsignedRequestIsMissingAuthenticationToken) {
  auto r = send(request("ListStreams", Json::object()));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(errorOf(r), (Json{{"__type", "MissingAuthenticationTokenException"},
                              {"message", "Missing Authentication Token"}}));
}

TEST_F(DispatcherAuthTest, AwsChecksTheBodyAndTheOperationBeforeTheSignature) {
  auto bad = request("ListStreams", Json::object());
  bad.body = "not json";
  EXPECT_EQ(errorOf(send(bad))["__type"], "SerializationException");
  auto unknown = request("NoSuchOperation", Json::object());
  EXPECT_EQ(errorOf(send(unknown))["__type"], "UnknownOperationException");
  auto get = request("ListStreams", Json::object());
  get.method = "GET";
  auto xml = send(get);
  EXPECT_EQ(xml.status, 403);
  EXPECT_EQ(xml.body,
            "<MissingAuthenticationTokenException>\n  <Message>Missing Authentication "
            "Token</Message>\n</MissingAuthenticationTokenException>\n");
}

TEST_F(DispatcherAuthTest, SignatureErrorsComeBeforeInputValidation) {
  // An invalid input (ShardCount 0) signed with a wrong secret: the signature is reported.
  auto r = as("AKIDADMIN", "wrong", "CreateStream", {{"StreamName", "s"}, {"ShardCount", 0}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(errorOf(r)["__type"], "InvalidSignatureException");
  EXPECT_EQ(errorOf(r)["message"], auth::kSignatureMismatchMessage);
  bool typeHeader = false;
  for (const auto& [k, v] : r.headers)
    typeHeader |= k == "x-amzn-ErrorType" && v == "InvalidSignatureException";
  EXPECT_TRUE(typeHeader);
  auto unknownKey = as("AKIDNOBODY", "x", "ListStreams", Json::object());
  EXPECT_EQ(errorOf(unknownKey)["__type"], "UnrecognizedClientException");
  EXPECT_EQ(errorOf(unknownKey)["message"],
            "The security token included in the request is invalid.");
}

TEST_F(DispatcherAuthTest, ExpiredSignature) {
  auto r = request("ListStreams", Json::object());
  auth::testing::signRequest(r, "AKIDADMIN", "admin-secret", "us-east-1", kNow - 10 * 60 * 1000);
  auto resp = send(std::move(r));
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(errorOf(resp)["__type"], "InvalidSignatureException");
  EXPECT_EQ(errorOf(resp)["message"],
            "Signature expired: 20261122T075000Z is now earlier than 20261122T075500Z "
            "(20261122T080000Z - 5 min.)");
}

TEST_F(DispatcherAuthTest, PolicyLimitsActionsAndStreams) {
  ASSERT_EQ(asAdmin("CreateStream", {{"StreamName", "orders-eu"}, {"ShardCount", 1}}).status, 200);
  ASSERT_EQ(asAdmin("CreateStream", {{"StreamName", "payments"}, {"ShardCount", 1}}).status, 200);

  const Json put = {{"StreamName", "orders-eu"}, {"PartitionKey", "k"}, {"Data", "AAAA"}};
  auto ok = asOrders("PutRecord", put);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(errorOf(ok)["ShardId"], "shardId-000000000000");
  EXPECT_EQ(asOrders("PutRecords", {{"StreamName", "orders-eu"},
                                    {"Records", {{{"PartitionKey", "k"}, {"Data", "AAAA"}}}}})
                .status,
            200);
  const auto stored = topics_.partitions[{"orders-eu", 0}].size();
  EXPECT_EQ(stored, 2u);

  // Reading the stream it may write to is denied...
  auto read = asOrders("GetShardIterator", {{"StreamName", "orders-eu"},
                                            {"ShardId", "shardId-000000000000"},
                                            {"ShardIteratorType", "TRIM_HORIZON"}});
  EXPECT_EQ(read.status, 400);
  EXPECT_EQ(errorOf(read)["__type"], "AccessDeniedException");
  EXPECT_EQ(errorOf(read)["message"],
            "User: arn:aws:iam::000000000000:user/orders-writer is not authorized to perform: "
            "kinesis:GetShardIterator on resource: "
            "arn:aws:kinesis:us-east-1:000000000000:stream/orders-eu because no identity-based "
            "policy allows the kinesis:GetShardIterator action");
  // ...and so is writing to another stream, by name or by ARN, which changes nothing.
  auto other =
      asOrders("PutRecord", {{"StreamName", "payments"}, {"PartitionKey", "k"}, {"Data", "AAAA"}});
  EXPECT_EQ(errorOf(other)["__type"], "AccessDeniedException");
  auto byArn = asOrders("PutRecord",
                        {{"StreamARN", "arn:aws:kinesis:us-east-1:000000000000:stream/payments"},
                         {"PartitionKey", "k"},
                         {"Data", "AAAA"}});
  EXPECT_EQ(errorOf(byArn)["__type"], "AccessDeniedException");
  EXPECT_TRUE((topics_.partitions[{"payments", 0}].empty()));
  // Account-level actions act on resource "*".
  auto list = asOrders("ListStreams", Json::object());
  EXPECT_EQ(errorOf(list)["__type"], "AccessDeniedException");
  EXPECT_NE(errorOf(list)["message"].get<std::string>().find(
                "on resource: arn:aws:kinesis:us-east-1:000000000000:*"),
            std::string::npos);
  auto del = asOrders("DeleteStream", {{"StreamName", "orders-eu"}});
  EXPECT_EQ(errorOf(del)["__type"], "AccessDeniedException");
  EXPECT_TRUE(admin_.topics.count("orders-eu"));
}

TEST_F(DispatcherAuthTest, CborRequestsGetCborErrors) {
  auto r = request("ListStreams", Json::object());
  r.headers[1].second = "application/x-amz-cbor-1.1";
  r.body = encodeBody(Json::object(), WireFormat::kCbor);
  auth::testing::signRequest(r, "AKIDORDERS", "orders-secret", "us-east-1", kNow);
  auto resp = send(std::move(r));
  EXPECT_EQ(resp.status, 400);
  auto decoded = decodeBody(resp.body, WireFormat::kCbor);
  ASSERT_TRUE(decoded);
  EXPECT_EQ((*decoded)["__type"], "AccessDeniedException");
}

TEST(Authenticator, BearerTokens) {
  config::Config config;
  config.auth.mode = config::AuthMode::kSigV4;
  config.auth.region = "us-east-1";
  config.auth.principals = {{"p", "AKIDP", "E", "s", {"*"}, {"*"}, "T", "token-1"},
                            {"q", "AKIDQ", "E", "s", {"*"}, {"*"}, "", ""}};
  ManualClock clock(kNow);
  auth::Authenticator a(config, clock);
  auto ok = a.authenticateBearer("Bearer token-1");
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)->name, "p");
  EXPECT_EQ(a.authenticateBearer("Bearer token-2").error().kind,
            auth::AuthErrorKind::kUnrecognizedClient);
  EXPECT_EQ(a.authenticateBearer("").error().kind,
            auth::AuthErrorKind::kMissingAuthenticationToken);
  EXPECT_EQ(a.authenticateBearer("Basic abc").error().kind,
            auth::AuthErrorKind::kMissingAuthenticationToken);
}

}  // namespace
}  // namespace kbridge::kinesis
