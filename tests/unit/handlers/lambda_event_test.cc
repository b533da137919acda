#include "handlers/webhook/lambda_event.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kinesis/codec.h"

namespace kbridge::handlers {
namespace {

using runtime::DeliveryResult;
using runtime::Outcome;
using runtime::Record;

runtime::HandlerContext awsExampleContext() {
  runtime::HandlerContext c;
  c.mappingName = "m";
  c.streamName = "lambda-stream";
  c.streamArn = "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream";
  c.region = "us-east-2";
  c.accountId = "123456789012";
  return c;
}

Record record(std::string seq, std::string key, std::string data, std::int64_t arrivalMs) {
  Record r;
  r.sequenceNumber = std::move(seq);
  r.partitionKey = std::move(key);
  r.data = std::move(data);
  r.arrivalMs = arrivalMs;
  return r;
}

TEST(LambdaEvent, MatchesTheAwsDocumentationExampleByteForByte) {
  // The record of "Example Kinesis record event" in the Lambda developer guide, with kbridge's
  // invokeIdentityArn.
  const std::vector<Record> records{
      record("49590338271490256608559692538361571095921575989136588898", "1",
             "Hello, this is a test.", 1545084650987)};
  const runtime::Batch batch{"shardId-000000000006", 6, records};
  const std::string expected =
      R"({"Records":[{"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":"1",)"
      R"("sequenceNumber":"49590338271490256608559692538361571095921575989136588898",)"
      R"("data":"SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==","approximateArrivalTimestamp":1545084650.987},)"
      R"("eventSource":"aws:kinesis","eventVersion":"1.0",)"
      R"("eventID":"shardId-000000000006:49590338271490256608559692538361571095921575989136588898",)"
      R"("eventName":"aws:kinesis:record","invokeIdentityArn":"arn:aws:iam::123456789012:role/kbridge",)"
      R"("awsRegion":"us-east-2","eventSourceARN":"arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream"}]})";
  EXPECT_EQ(LambdaEventWriter(awsExampleContext()).event(batch), expected);
}

TEST(LambdaEvent, WritesEveryRecordOfTheBatchAsValidJson) {
  const std::vector<Record> records{
      record("1", "key \"quoted\"\n", std::string("\x00\xff\x01", 3), 1000),
      record("2", "caf\xC3\xA9", "", 1001), record("3", "bad\xFFkey", "x", 0)};
  const runtime::Batch batch{"shardId-000000000000", 0, records};
  const auto event = nlohmann::json::parse(LambdaEventWriter(awsExampleContext()).event(batch));
  ASSERT_EQ(event["Records"].size(), 3u);
  const auto& first = event["Records"][0];
  EXPECT_EQ(first["kinesis"]["partitionKey"], "key \"quoted\"\n");
  EXPECT_EQ(kinesis::base64Decode(first["kinesis"]["data"].get<std::string>()),
            std::string("\x00\xff\x01", 3));
  EXPECT_EQ(first["kinesis"]["approximateArrivalTimestamp"], 1);
  EXPECT_EQ(first["eventID"], "shardId-000000000000:1");
  EXPECT_EQ(event["Records"][1]["kinesis"]["partitionKey"], "caf\xC3\xA9");
  EXPECT_EQ(event["Records"][1]["kinesis"]["data"], "");
  EXPECT_EQ(event["Records"][1]["kinesis"]["approximateArrivalTimestamp"], 1.001);
  EXPECT_EQ(event["Records"][2]["kinesis"]["partitionKey"], "bad\xEF\xBF\xBDkey");
  EXPECT_EQ(event["Records"][2]["eventSourceARN"],
            "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream");
}

TEST(LambdaEvent, AnEmptyBatchIsAnEmptyRecordsList) {
  const runtime::Batch batch{"shardId-000000000000", 0, {}};
  EXPECT_EQ(LambdaEventWriter(awsExampleContext()).event(batch), R"({"Records":[]})");
}

TEST(LambdaEvent, AppendRecordTruncatesData) {
  std::string out;
  LambdaEventWriter(awsExampleContext())
      .appendRecord(out, "shardId-000000000000", record("1", "k", "abcdefgh", 0), 3);
  EXPECT_EQ(nlohmann::json::parse(out)["kinesis"]["data"], kinesis::base64Encode("abc"));
}

TEST(LambdaEvent, TimestampsAreWrittenAsGetRecordsWritesThem) {
  for (std::int64_t ms :
       {0LL, 1LL, 10LL, 100LL, 999LL, 1000LL, 1545084650987LL, 1545084650980LL, 1545084650900LL,
        1545084650000LL, 1545084650001LL, 1545084650010LL, 4102444800123LL}) {
    std::string out;
    appendEpochSeconds(out, ms);
    EXPECT_EQ(out, kinesis::timestampValue(ms, kinesis::WireFormat::kJson).dump()) << ms;
  }
}

TEST(LambdaEvent, JsonStringsMatchNlohmannWithReplacement) {
  const std::vector<std::string> inputs{"",
                                        "plain",
                                        "q\"b\\s/",
                                        std::string("\x00\x1f\x7f", 3),
                                        "\b\f\n\r\t",
                                        "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80",
                                        "\xC3",
                                        "\xED\xA0\x80",
                                        "\xF4\x90\x80\x80",
                                        "a\xC0\xAFz"};
  for (const auto& in : inputs) {
    std::string out;
    appendJsonString(out, in);
    EXPECT_EQ(out,
              nlohmann::json(in).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
        << in;
    EXPECT_TRUE(nlohmann::json::accept(out)) << out;
  }
}

TEST(LambdaEvent, Utf8Helpers) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("caf\xC3\xA9 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(isValidUtf8("\xC3"));
  EXPECT_FALSE(isValidUtf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // beyond U+10FFFF
  EXPECT_EQ(utf8SequenceLength("\xE2\x82\xAC!"), 3u);
  EXPECT_EQ(utf8SequenceLength("\x80"), 0u);
  EXPECT_EQ(utf8SequenceLength(""), 0u);
  EXPECT_EQ(utf8Prefix("abc", 5), "abc");
  EXPECT_EQ(utf8Prefix("ab\xE2\x82\xAC", 4), "ab");
  EXPECT_EQ(utf8Prefix("ab\xE2\x82\xAC", 5), "ab\xE2\x82\xAC");
  EXPECT_EQ(utf8Prefix("ab\xE2\x82\xAC", 2), "ab");
}

// --- interpretReply: Lambda's ReportBatchItemFailures rules --------------------------------

std::vector<Record> threeRecords() {
  return {record("100", "k", "a", 0), record("200", "k", "b", 0), record("300", "k", "c", 0)};
}

TEST(InterpretReply, SuccessCases) {
  const auto records = threeRecords();
  for (const char* body :
       {"", "   ", "OK", "null", "{}", "[]", "\"done\"", "42", R"({"batchItemFailures":null})",
        R"({"batchItemFailures":[]})", R"({"statusCode":200})"}) {
    const DeliveryResult r = interpretReply(body, records);
    EXPECT_EQ(r.outcome, Outcome::kOk) << body << ": " << r.error;
  }
}

TEST(InterpretReply, PartialFailureIsTheLowestFailedSequenceNumber) {
  const auto records = threeRecords();
  auto r = interpretReply(R"({"batchItemFailures":[{"itemIdentifier":"200"}]})", records);
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.firstFailed, 1u);
  EXPECT_NE(r.error.find("200"), std::string::npos) << r.error;

  r = interpretReply(R"({"batchItemFailures":[{"itemIdentifier":"300"},{"itemIdentifier":"200"}]})",
                     records);
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.firstFailed, 1u);

  r = interpretReply(R"({"batchItemFailures":[{"itemIdentifier":"100"}]})", records);
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.firstFailed, 0u);
}

TEST(InterpretReply, MalformedItemsFailTheWholeBatch) {
  const auto records = threeRecords();
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"({"batchItemFailures":[{"itemIdentifier":""}]})", "[0].itemIdentifier is empty"},
      {R"({"batchItemFailures":[{"itemIdentifier":null}]})", "[0].itemIdentifier is null"},
      {R"({"batchItemFailures":[{"itemIdentifier":"200"},{"itemIdentifer":"300"}]})",
       "[1] has no itemIdentifier"},
      {R"({"batchItemFailures":[{"itemIdentifier":"999"}]})",
       "[0].itemIdentifier \"999\" is not a sequence number of the batch"},
      {R"({"batchItemFailures":[{"itemIdentifier":200}]})", "[0].itemIdentifier must be a string"},
      {R"({"batchItemFailures":["200"]})", "[0] must be an object"},
      {R"({"batchItemFailures":"200"})", " must be a list"},
  };
  for (const auto& [body, why] : cases) {
    const DeliveryResult r = interpretReply(body, records);
    EXPECT_EQ(r.outcome, Outcome::kFailed) << body;
    // firstFailed 0: the invocation succeeded; only report_batch_item_failures makes it a failure.
    EXPECT_EQ(r.firstFailed, 0u) << body;
    EXPECT_EQ(r.error, "batchItemFailures" + why + "; the whole batch failed") << body;
  }
}

}  // namespace
}  // namespace kbridge::handlers
