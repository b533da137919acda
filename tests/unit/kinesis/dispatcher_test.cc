// The Kinesis endpoint end to end, hermetically: HTTP request values in, wire responses out, with
// the catalog and topic admin in memory and control-plane work run inline.

#include "kinesis/dispatcher.h"

#include <gtest/gtest.h>

#include "fakes/fake_kafka.h"
#include "fakes/fake_services.h"
#include "streams/catalog.h"
#include "streams/sequence_number.h"
#include "streams/shard_limits.h"

namespace kbridge::kinesis {
namespace {

using testing::FakeKafkaAdmin;
using testing::InMemoryCatalogLog;

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = std::make_unique<InMemoryCatalogLog>();
    catalogLog_ = log.get();
    catalog_ = std::make_unique<streams::Catalog>(std::move(log), std::chrono::milliseconds(100));
    ASSERT_TRUE(catalog_->start());
    initialRecords_ = catalogLog_->records.size();  // the cluster record (iterator secret)
    auto config = std::make_shared<config::Config>();
    config->streams.shardLimit = 20;
    testing::useFakes(services_, config, *catalog_, admin_, clock_, inline_, topics_);
    dispatcher_ = std::make_unique<Dispatcher>(services_);
  }

  http::Response send(std::string_view action, const std::string& body,
                      std::string contentType = "application/x-amz-json-1.1",
                      std::string method = "POST") {
    http::Request request;
    request.method = std::move(method);
    request.target = "/";
    request.headers = {{"Content-Type", contentType},
                       {"X-Amz-Target", "Kinesis_20131202." + std::string(action)}};
    request.body = body;
    std::optional<http::Response> out;
    dispatcher_->handle(std::move(request), [&](http::Response r) { out = std::move(r); });
    EXPECT_TRUE(out) << "no response";
    return out.value_or(http::Response{});
  }

  Json call(std::string_view action, const Json& body, int expectStatus = 200) {
    auto r = send(action, body.dump());
    EXPECT_EQ(r.status, expectStatus) << r.body;
    return r.body.empty() ? Json() : Json::parse(r.body);
  }

  static std::string header(const http::Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }

  InMemoryCatalogLog* catalogLog_ = nullptr;
  size_t initialRecords_ = 0;
  std::unique_ptr<streams::Catalog> catalog_;
  FakeKafkaAdmin admin_;
  testing::InMemoryTopics topics_;
  ManualClock clock_{1'700'000'000'000};
  InlineExecutor inline_;
  Services services_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatcherTest, CreateDescribeDeleteRoundTrip) {
  EXPECT_EQ(call("CreateStream", {{"StreamName", "s1"}, {"ShardCount", 3}}), Json());
  ASSERT_TRUE(admin_.topics.count("s1"));
  EXPECT_EQ(admin_.topics["s1"].partitions, 3);
  EXPECT_EQ(admin_.topics["s1"].configs["retention.ms"], "86400000");
  EXPECT_EQ(admin_.topics["s1"].configs["message.timestamp.type"], "LogAppendTime");

  auto d = call("DescribeStream", {{"StreamName", "s1"}})["StreamDescription"];
  EXPECT_EQ(d["StreamStatus"], "ACTIVE");
  EXPECT_EQ(d["StreamARN"], "arn:aws:kinesis:us-east-1:000000000000:stream/s1");
  EXPECT_EQ(d["Shards"].size(), 3u);
  EXPECT_EQ(d["HasMoreShards"], false);
  EXPECT_DOUBLE_EQ(d["StreamCreationTimestamp"].get<double>(), 1'700'000'000.0);

  EXPECT_EQ(call("DeleteStream", {{"StreamName", "s1"}}), Json());
  EXPECT_FALSE(admin_.topics.count("s1"));
  auto missing = call("DescribeStreamSummary", {{"StreamName", "s1"}}, 400);
  EXPECT_EQ(missing["__type"], "ResourceNotFoundException");
  EXPECT_EQ(missing["message"], "Stream s1 under account 000000000000 not found.");
}

TEST_F(DispatcherTest, DuplicateCreateIsResourceInUseAndChangesNothing) {
  call("CreateStream", {{"StreamName", "dup"}, {"ShardCount", 1}});
  const auto records = catalogLog_->records.size();
  auto e = call("CreateStream", {{"StreamName", "dup"}, {"ShardCount", 2}}, 400);
  EXPECT_EQ(e["__type"], "ResourceInUseException");
  EXPECT_EQ(e["message"], "Stream dup under account 000000000000 already exists.");
  EXPECT_EQ(admin_.topics["dup"].partitions, 1);
  EXPECT_EQ(catalogLog_->records.size(), records);
}

TEST_F(DispatcherTest, TopicCreatedElsewhereMeansResourceInUse) {
  admin_.topics["raced"] = {1, {}};
  auto e = call("CreateStream", {{"StreamName", "raced"}, {"ShardCount", 1}}, 400);
  EXPECT_EQ(e["__type"], "ResourceInUseException");
  EXPECT_EQ(catalogLog_->records.size(), initialRecords_);
}

TEST_F(DispatcherTest, ShardLimitIsEnforcedAcrossStreams) {
  call("CreateStream", {{"StreamName", "a"}, {"ShardCount", 15}});
  auto e = call("CreateStream", {{"StreamName", "b"}, {"ShardCount", 6}}, 400);
  EXPECT_EQ(e["__type"], "LimitExceededException");
  EXPECT_NE(
      e["message"].get<std::string>().find("Current shard count for the account: 15. Limit: 20."),
      std::string::npos);
  EXPECT_FALSE(admin_.topics.count("b"));
  auto limits = call("DescribeLimits", Json::object());
  EXPECT_EQ(limits["ShardLimit"], 20);
  EXPECT_EQ(limits["OpenShardCount"], 15);
}

TEST_F(DispatcherTest, KafkaUnavailableIsRetriableAndLeavesNoCatalogRecord) {
  admin_.failNext =
      kafka::KafkaError{kafka::KafkaErrorKind::kUnavailable, -195, "all brokers down"};
  auto r = send("CreateStream", R"({"StreamName":"x","ShardCount":1})");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Json::parse(r.body)["__type"], "ServiceUnavailable");
  EXPECT_EQ(catalogLog_->records.size(), initialRecords_);
}

TEST_F(DispatcherTest, CatalogWriteFailureRollsTheTopicBack) {
  catalogLog_->unavailable = true;
  auto r = send("CreateStream", R"({"StreamName":"x","ShardCount":1})");
  EXPECT_EQ(r.status, 503);
  catalogLog_->unavailable = false;
  EXPECT_FALSE(admin_.topics.count("x"));
}

TEST_F(DispatcherTest, RetentionChangesFollowKinesisRules) {
  call("CreateStream", {{"StreamName", "r"}, {"ShardCount", 1}});
  call("IncreaseStreamRetentionPeriod", {{"StreamName", "r"}, {"RetentionPeriodHours", 48}});
  EXPECT_EQ(admin_.topics["r"].configs["retention.ms"], "172800000");
  auto shorter = call("IncreaseStreamRetentionPeriod",
                      {{"StreamName", "r"}, {"RetentionPeriodHours", 30}}, 400);
  EXPECT_EQ(shorter["__type"], "InvalidArgumentException");
  EXPECT_EQ(shorter["message"],
            "Requested retention period (30 hours) for stream r can not be shorter than existing "
            "retention period (48 hours). Use DecreaseRetentionPeriod API.");
  auto tooShort = call("DecreaseStreamRetentionPeriod",
                       {{"StreamName", "r"}, {"RetentionPeriodHours", 23}}, 400);
  EXPECT_EQ(tooShort["message"],
            "Minimum allowed retention period is 24 hours. Requested retention period (23 hours) "
            "is too short.");
  call("DecreaseStreamRetentionPeriod", {{"StreamName", "r"}, {"RetentionPeriodHours", 24}});
  EXPECT_EQ(admin_.topics["r"].configs["retention.ms"], "86400000");
  EXPECT_EQ(call("DescribeStreamSummary",
                 {{"StreamName", "r"}})["StreamDescriptionSummary"]["RetentionPeriodHours"],
            24);
}

TEST_F(DispatcherTest, TagsAddListRemove) {
  call("CreateStream", {{"StreamName", "t"}, {"ShardCount", 1}});
  call("AddTagsToStream", {{"StreamName", "t"}, {"Tags", {{"b", "2"}, {"a", "1"}, {"c", ""}}}});
  auto page = call("ListTagsForStream", {{"StreamName", "t"}, {"Limit", 2}});
  EXPECT_EQ(page["Tags"], Json::parse(R"([{"Key":"a","Value":"1"},{"Key":"b","Value":"2"}])"));
  EXPECT_EQ(page["HasMoreTags"], true);
  auto rest = call("ListTagsForStream", {{"StreamName", "t"}, {"ExclusiveStartTagKey", "b"}});
  EXPECT_EQ(rest["Tags"], Json::parse(R"([{"Key":"c","Value":""}])"));
  call("RemoveTagsFromStream", {{"StreamName", "t"}, {"TagKeys", {"a", "zzz"}}});
  EXPECT_EQ(call("ListTagsForStream", {{"StreamName", "t"}})["Tags"].size(), 2u);
  auto bad = call("AddTagsToStream", {{"StreamName", "t"}, {"Tags", {{"a%", "1"}}}}, 400);
  EXPECT_EQ(bad["__type"], "InvalidArgumentException");
  auto invalid = call("AddTagsToStream", {{"StreamName", "t"}, {"Tags", {{"a*", "1"}}}}, 400);
  EXPECT_EQ(invalid["message"],
            "Some tags contain invalid characters. Valid characters: Unicode letters, digits, "
            "white space, _ . / = + - % @.");
}

TEST_F(DispatcherTest, ListShardsPagesWithTokensThatExpire) {
  call("CreateStream", {{"StreamName", "p"}, {"ShardCount", 5}});
  auto first = call("ListShards", {{"StreamName", "p"}, {"MaxResults", 2}});
  ASSERT_EQ(first["Shards"].size(), 2u);
  ASSERT_TRUE(first.contains("NextToken"));
  auto second = call("ListShards", {{"NextToken", first["NextToken"]}, {"MaxResults", 2}});
  EXPECT_EQ(second["Shards"].size(), 2u);
  EXPECT_EQ(second["Shards"][0]["ShardId"], "shardId-000000000002");
  auto both = call("ListShards", {{"StreamName", "p"}, {"NextToken", first["NextToken"]}}, 400);
  EXPECT_EQ(both["message"], "NextToken and StreamName cannot be provided together.");
  auto garbage = call("ListShards", {{"NextToken", "bm90IGEgdG9rZW4="}}, 400);
  EXPECT_EQ(garbage["__type"], "InvalidArgumentException");
  clock_.advance(301'000);
  auto expired = call("ListShards", {{"NextToken", second["NextToken"]}}, 400);
  EXPECT_EQ(expired["__type"], "ExpiredNextTokenException");
}

TEST_F(DispatcherTest, ListStreamsPagesInNameOrder) {
  for (auto n : {"c", "a", "b"}) call("CreateStream", {{"StreamName", n}, {"ShardCount", 1}});
  auto page = call("ListStreams", {{"Limit", 2}});
  EXPECT_EQ(page["StreamNames"], Json::parse(R"(["a","b"])"));
  EXPECT_EQ(page["HasMoreStreams"], true);
  EXPECT_EQ(page["StreamSummaries"][1]["StreamName"], "b");
  auto next = call("ListStreams", {{"NextToken", page["NextToken"]}});
  EXPECT_EQ(next["StreamNames"], Json::parse(R"(["c"])"));
  EXPECT_EQ(next["HasMoreStreams"], false);
  auto after = call("ListStreams", {{"ExclusiveStartStreamName", "a"}});
  EXPECT_EQ(after["StreamNames"], Json::parse(R"(["b","c"])"));
}

TEST_F(DispatcherTest, StreamArnIsAcceptedAndChecked) {
  call("CreateStream", {{"StreamName", "arn"}, {"ShardCount", 1}});
  auto ok = call("DescribeStreamSummary",
                 {{"StreamARN", "arn:aws:kinesis:us-east-1:000000000000:stream/arn"}});
  EXPECT_EQ(ok["StreamDescriptionSummary"]["StreamName"], "arn");
  auto other = call("DescribeStreamSummary",
                    {{"StreamARN", "arn:aws:kinesis:eu-west-1:000000000000:stream/arn"}}, 400);
  EXPECT_EQ(other["__type"], "ResourceNotFoundException");
  auto neither = call("DescribeStreamSummary", Json::object(), 400);
  EXPECT_EQ(neither["__type"], "ValidationException");
}

TEST_F(DispatcherTest, CatalogStartCreatesOneIteratorSecret) {
  EXPECT_EQ(catalog_->iteratorSecret().size(), 64u);
  EXPECT_EQ(initialRecords_, 1u);
}

TEST_F(DispatcherTest, ProtocolErrorsComeBeforeValidation) {
  auto empty = send("ListStreams", "");
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(Json::parse(empty.body)["__type"], "SerializationException");
  auto emptyUntyped = send("ListStreams", "", "");
  EXPECT_EQ(header(emptyUntyped, "Content-Type"), "application/x-amz-cbor-1.1");
  EXPECT_EQ(Json::from_cbor(emptyUntyped.body)["__type"], "SerializationException");

  auto deprecated = send("ListStreams", "{}", "application/json");
  EXPECT_EQ(deprecated.status, 404);
  EXPECT_EQ(Json::parse(deprecated.body)["Output"]["__type"],
            "com.amazon.coral.service#UnknownOperationException");

  auto json10 = send("ListStreams", "{}", "application/x-amz-json-1.0");
  EXPECT_EQ(json10.status, 404);

  auto notJson = send("ListStreams", "{not json");
  EXPECT_EQ(notJson.status, 400);
  EXPECT_EQ(Json::parse(notJson.body)["__type"], "SerializationException");
  auto typeError = send("ListStreams", R"({"Limit":"x"})");
  EXPECT_EQ(Json::parse(typeError.body)["Message"],
            "class java.lang.String can not be converted to an Integer");

  auto unknown = send("Frobnicate", "{}");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(Json::parse(unknown.body)["__type"], "UnknownOperationException");

  auto wrongType = send("ListStreams", "{}", "text/plain");
  EXPECT_EQ(wrongType.status, 404);
  EXPECT_EQ(wrongType.body, "<UnknownOperationException/>\n");

  auto get = send("ListStreams", "{}", "application/x-amz-json-1.1", "GET");
  EXPECT_EQ(get.status, 403);

  auto unimplemented = send("SplitShard", "{}");
  EXPECT_EQ(unimplemented.status, 400);
  EXPECT_EQ(Json::parse(unimplemented.body)["__type"], "UnknownOperationException");
}

TEST_F(DispatcherTest, ValidationErrorsUseAwsWording) {
  auto e =
      call("CreateStream", {{"StreamName", std::string(129, 'a') + "!"}, {"ShardCount", 0}}, 400);
  EXPECT_EQ(e["__type"], "ValidationException");
  const auto msg = e["message"].get<std::string>();
  EXPECT_EQ(msg.rfind("3 validation errors detected: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("at 'shardCount' failed to satisfy constraint: Member must have value greater "
                     "than or equal to 1"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
            std::string::npos);
  EXPECT_NE(msg.find("Member must have length less than or equal to 128"), std::string::npos);
  EXPECT_TRUE(admin_.topics.empty());
}

TEST_F(DispatcherTest, CborRequestsGetCborResponses) {
  Json body{{"StreamName", "cb"}, {"ShardCount", 2}};
  auto bytes = Json::to_cbor(body);
  auto r =
      send("CreateStream", std::string(bytes.begin(), bytes.end()), "application/x-amz-cbor-1.1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(header(r, "Content-Type"), "application/x-amz-cbor-1.1");
  auto summary = Json::to_cbor(Json{{"StreamName", "cb"}});
  auto d = send("DescribeStreamSummary", std::string(summary.begin(), summary.end()),
                "application/x-amz-cbor-1.1");
  auto decoded = Json::from_cbor(d.body);
  auto s = decoded["StreamDescriptionSummary"];
  EXPECT_EQ(s["OpenShardCount"], 2);
  // The Java SDK reads CBOR timestamps as epoch milliseconds.
  EXPECT_EQ(s["StreamCreationTimestamp"], 1'700'000'000'000);
}

Json putRecordsBody(const std::string& stream, int n) {
  Json records = Json::array();
  for (int i = 0; i < n; ++i) {
    records.push_back({{"PartitionKey", "key-" + std::to_string(i)},
                       {"Data", base64Encode("record-" + std::to_string(i))}});
  }
  return {{"StreamName", stream}, {"Records", records}};
}

TEST_F(DispatcherTest, PutThenReadBackEveryShardInOrder) {
  call("CreateStream", {{"StreamName", "d"}, {"ShardCount", 3}});
  auto put = call("PutRecords", putRecordsBody("d", 30));
  EXPECT_EQ(put["FailedRecordCount"], 0);
  std::map<std::string, std::vector<std::string>> sequences;
  for (const auto& r : put["Records"]) {
    sequences[r["ShardId"].get<std::string>()].push_back(r["SequenceNumber"]);
  }
  size_t seen = 0;
  for (const auto& [shard, expected] : sequences) {
    auto it =
        call("GetShardIterator",
             {{"StreamName", "d"}, {"ShardId", shard}, {"ShardIteratorType", "TRIM_HORIZON"}});
    auto page = call("GetRecords", {{"ShardIterator", it["ShardIterator"]}, {"Limit", 2}});
    std::vector<std::string> got;
    while (!page["Records"].empty()) {
      for (const auto& r : page["Records"]) got.push_back(r["SequenceNumber"]);
      page = call("GetRecords", {{"ShardIterator", page["NextShardIterator"]}, {"Limit", 2}});
    }
    EXPECT_EQ(got, expected) << shard;
    EXPECT_EQ(page["MillisBehindLatest"], 0);
    seen += got.size();
  }
  EXPECT_EQ(seen, 30u);
}

TEST_F(DispatcherTest, IteratorTypesStartWhereKinesisSays) {
  call("CreateStream", {{"StreamName", "it"}, {"ShardCount", 1}});
  auto first = call("PutRecord", {{"StreamName", "it"}, {"PartitionKey", "k"}, {"Data", "AQ=="}});
  call("PutRecord", {{"StreamName", "it"}, {"PartitionKey", "k"}, {"Data", "Ag=="}});
  auto read = [&](Json request) {
    request["StreamName"] = "it";
    request["ShardId"] = "shardId-000000000000";
    auto it = call("GetShardIterator", request);
    return call("GetRecords", {{"ShardIterator", it["ShardIterator"]}})["Records"];
  };
  EXPECT_EQ(read({{"ShardIteratorType", "TRIM_HORIZON"}}).size(), 2u);
  EXPECT_EQ(read({{"ShardIteratorType", "LATEST"}}).size(), 0u);
  EXPECT_EQ(read({{"ShardIteratorType", "AT_SEQUENCE_NUMBER"},
                  {"StartingSequenceNumber", first["SequenceNumber"]}})
                .size(),
            2u);
  auto after = read({{"ShardIteratorType", "AFTER_SEQUENCE_NUMBER"},
                     {"StartingSequenceNumber", first["SequenceNumber"]}});
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0]["Data"], "Ag==");
  EXPECT_EQ(read({{"ShardIteratorType", "AT_TIMESTAMP"}, {"Timestamp", 1'600'000'000}}).size(), 2u);
  auto future = call("GetShardIterator",
                     {{"StreamName", "it"},
                      {"ShardId", "shardId-000000000000"},
                      {"ShardIteratorType", "AT_TIMESTAMP"},
                      {"Timestamp", 1'800'000'000}},
                     400);
  EXPECT_EQ(future["__type"], "InvalidArgumentException");
}

TEST_F(DispatcherTest, IteratorsExpireAfterFiveMinutes) {
  call("CreateStream", {{"StreamName", "exp"}, {"ShardCount", 1}});
  auto it = call("GetShardIterator", {{"StreamName", "exp"},
                                      {"ShardId", "shardId-000000000000"},
                                      {"ShardIteratorType", "TRIM_HORIZON"}});
  clock_.advance(300'000);
  call("GetRecords", {{"ShardIterator", it["ShardIterator"]}});  // exactly 300 s: still valid
  clock_.advance(1);
  auto expired = call("GetRecords", {{"ShardIterator", it["ShardIterator"]}}, 400);
  EXPECT_EQ(expired["__type"], "ExpiredIteratorException");
  // 1700000000000 ms = Tue Nov 14 22:13:20 UTC 2023
  EXPECT_EQ(expired["message"],
            "Iterator expired. The iterator was created at time Tue Nov 14 22:13:20 UTC 2023 while "
            "right now it is Tue Nov 14 22:18:20 UTC 2023 which is further in the future than the "
            "tolerated delay of 300000 milliseconds.");
}

TEST_F(DispatcherTest, TamperedIteratorsAreInvalidArguments) {
  call("CreateStream", {{"StreamName", "tam"}, {"ShardCount", 1}});
  auto it = call("GetShardIterator", {{"StreamName", "tam"},
                                      {"ShardId", "shardId-000000000000"},
                                      {"ShardIteratorType", "TRIM_HORIZON"}})["ShardIterator"]
                .get<std::string>();
  auto raw = *base64Decode(it);
  raw[14] = static_cast<char>(raw[14] ^ 0x40);  // another offset
  auto e = call("GetRecords", {{"ShardIterator", base64Encode(raw)}}, 400);
  EXPECT_EQ(e["__type"], "InvalidArgumentException");
  EXPECT_EQ(e["message"], "Invalid ShardIterator.");
}

TEST_F(DispatcherTest, TrimmedRecordsAreSkipped) {
  call("CreateStream", {{"StreamName", "trim"}, {"ShardCount", 1}});
  auto first = call("PutRecord", {{"StreamName", "trim"}, {"PartitionKey", "k"}, {"Data", "AQ=="}});
  call("PutRecord", {{"StreamName", "trim"}, {"PartitionKey", "k"}, {"Data", "Ag=="}});
  topics_.trim("trim", 0, 1);
  auto it = call("GetShardIterator", {{"StreamName", "trim"},
                                      {"ShardId", "shardId-000000000000"},
                                      {"ShardIteratorType", "AT_SEQUENCE_NUMBER"},
                                      {"StartingSequenceNumber", first["SequenceNumber"]}});
  auto records = call("GetRecords", {{"ShardIterator", it["ShardIterator"]}})["Records"];
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["Data"], "Ag==");
}

TEST_F(DispatcherTest, SequenceNumbersOfOtherShardsOrStreamsAreRejected) {
  call("CreateStream", {{"StreamName", "sq"}, {"ShardCount", 2}});
  auto put = call(
      "PutRecord",
      {{"StreamName", "sq"}, {"PartitionKey", "k"}, {"Data", "AQ=="}, {"ExplicitHashKey", "0"}});
  auto wrongShard = call("GetShardIterator",
                         {{"StreamName", "sq"},
                          {"ShardId", "shardId-000000000001"},
                          {"ShardIteratorType", "AT_SEQUENCE_NUMBER"},
                          {"StartingSequenceNumber", put["SequenceNumber"]}},
                         400);
  EXPECT_EQ(wrongShard["message"],
            "Invalid StartingSequenceNumber. It encodes shardId-000000000000, while it was used in "
            "a call to a shard with shardId-000000000001");
  auto foreign = call("GetShardIterator",
                      {{"StreamName", "sq"},
                       {"ShardId", "shardId-000000000000"},
                       {"ShardIteratorType", "AT_SEQUENCE_NUMBER"},
                       {"StartingSequenceNumber", "12345"}},
                      400);
  EXPECT_NE(foreign["message"].get<std::string>().find("did not come from this stream"),
            std::string::npos);
  auto unknownShard = call(
      "GetShardIterator",
      {{"StreamName", "sq"}, {"ShardId", "shardId-000000000009"}, {"ShardIteratorType", "LATEST"}},
      400);
  EXPECT_EQ(unknownShard["__type"], "ResourceNotFoundException");
}

TEST_F(DispatcherTest, ASequenceNumberOfAStreamMadeAgainElsewhereIsCheckedAgainstTheCatalogTopic) {
  call("CreateStream", {{"StreamName", "again"}, {"ShardCount", 1}});
  const auto before = catalog_->find("again");
  ASSERT_TRUE(before);
  // Another instance deletes the stream and makes it again; this instance's catalog tail has not
  // read that yet when a client of the other instance asks here.
  streams::StreamMeta remade = *before;
  remade.generation = before->generation + 5000;
  remade.creationTimeMs = static_cast<std::int64_t>(remade.generation);
  remade.shards = streams::initialShards(1, remade.generation);
  catalogLog_->lagging = true;
  ASSERT_TRUE(catalogLog_->append("again", std::nullopt));
  ASSERT_TRUE(catalogLog_->append("again", streams::toCatalogJson(remade).dump()));
  ASSERT_EQ(catalog_->find("again")->generation, before->generation);

  const auto at = [&](std::uint64_t generation) {
    return Json{{"StreamName", "again"},
                {"ShardId", "shardId-000000000000"},
                {"ShardIteratorType", "AT_SEQUENCE_NUMBER"},
                {"StartingSequenceNumber", streams::SequenceNumber{generation, 0, 0}.toString()}};
  };
  auto it = call("GetShardIterator", at(remade.generation));
  EXPECT_EQ(catalog_->find("again")->generation, remade.generation);  // looked up, not refused
  EXPECT_EQ(call("GetRecords", {{"ShardIterator", it["ShardIterator"]}})["Records"], Json::array());
  // Now this instance knows the new stream: a number of the old one is refused.
  auto old = call("GetShardIterator", at(before->generation), 400);
  EXPECT_NE(old["message"].get<std::string>().find("did not come from this stream"),
            std::string::npos);
}

TEST_F(DispatcherTest, KafkaFailuresAreRetriableAndNeverSuccesses) {
  call("CreateStream", {{"StreamName", "down"}, {"ShardCount", 1}});
  topics_.failWith = kafka::KafkaError{kafka::KafkaErrorKind::kTimedOut, -192, "timed out"};
  auto r = send("PutRecord", R"({"StreamName":"down","PartitionKey":"k","Data":"AQ=="})");
  EXPECT_EQ(r.status, 503);
  auto batch = call("PutRecords", putRecordsBody("down", 3));
  EXPECT_EQ(batch["FailedRecordCount"], 3);
  EXPECT_EQ(batch["Records"][0]["ErrorCode"], "InternalFailure");
  EXPECT_FALSE(batch["Records"][0].contains("SequenceNumber"));
  topics_.failWith = kafka::KafkaError{kafka::KafkaErrorKind::kQueueFull, -184, "queue full"};
  auto full = call("PutRecords", putRecordsBody("down", 1));
  EXPECT_EQ(full["Records"][0]["ErrorCode"], "ProvisionedThroughputExceededException");
}

TEST_F(DispatcherTest, BadExplicitHashKeyAndOversizedBatches) {
  call("CreateStream", {{"StreamName", "big"}, {"ShardCount", 1}});
  auto hash = call("PutRecord",
                   {{"StreamName", "big"},
                    {"PartitionKey", "k"},
                    {"Data", "AQ=="},
                    {"ExplicitHashKey", "340282366920938463463374607431768211456"}},
                   400);
  EXPECT_EQ(
      hash["message"],
      "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified "
      "value was 340282366920938463463374607431768211456");
  Json records = Json::array();
  const std::string mib(1024 * 1024, 'x');
  for (int i = 0; i < 6; ++i)
    records.push_back({{"PartitionKey", "k"}, {"Data", base64Encode(mib)}});
  auto tooBig = call("PutRecords", {{"StreamName", "big"}, {"Records", records}}, 400);
  EXPECT_EQ(tooBig["__type"], "InvalidArgumentException");
  EXPECT_TRUE(topics_.partitions.empty());
}

TEST_F(DispatcherTest, PerShardLimitsThrottleAsKinesisDoes) {
  call("CreateStream", {{"StreamName", "lim"}, {"ShardCount", 1}});
  streams::ShardLimitRates rates;
  rates.writeRecordsPerSecond = 3;
  rates.readCallsPerSecond = 2;
  streams::ShardLimits limits(rates, clock_);
  services_.limits = &limits;
  const std::string throttled =
      "Rate exceeded for shard shardId-000000000000 in stream lim under account 000000000000.";
  const auto& log = topics_.partitions[{"lim", 0}];

  // PutRecords: the records within the allowance are written, the others fail one by one.
  auto batch = call("PutRecords", putRecordsBody("lim", 5));
  EXPECT_EQ(batch["FailedRecordCount"], 2);
  EXPECT_TRUE(batch["Records"][2].contains("SequenceNumber"));
  EXPECT_EQ(batch["Records"][3]["ErrorCode"], "ProvisionedThroughputExceededException");
  EXPECT_EQ(batch["Records"][3]["ErrorMessage"], throttled);
  EXPECT_EQ(log.size(), 3u);

  // PutRecord: the whole call is throttled and nothing is written; in both wire formats.
  auto one =
      call("PutRecord", {{"StreamName", "lim"}, {"PartitionKey", "k"}, {"Data", "AQ=="}}, 400);
  EXPECT_EQ(one["__type"], "ProvisionedThroughputExceededException");
  EXPECT_EQ(one["message"], throttled);
  auto cbor = send(
      "PutRecord",
      [] {
        std::string out;
        Json::to_cbor(
            Json{{"StreamName", "lim"}, {"PartitionKey", "k"}, {"Data", Json::binary({1})}}, out);
        return out;
      }(),
      "application/x-amz-cbor-1.1");
  EXPECT_EQ(cbor.status, 400);
  EXPECT_EQ(Json::from_cbor(cbor.body)["__type"], "ProvisionedThroughputExceededException");
  EXPECT_EQ(log.size(), 3u);

  clock_.advance(1000);
  call("PutRecord", {{"StreamName", "lim"}, {"PartitionKey", "k"}, {"Data", "AQ=="}});
  EXPECT_EQ(log.size(), 4u);

  // GetRecords: two calls per second here.
  auto it = call("GetShardIterator", {{"StreamName", "lim"},
                                      {"ShardId", "shardId-000000000000"},
                                      {"ShardIteratorType", "TRIM_HORIZON"}});
  auto page = call("GetRecords", {{"ShardIterator", it["ShardIterator"]}});
  EXPECT_EQ(page["Records"].size(), 4u);
  call("GetRecords", {{"ShardIterator", page["NextShardIterator"]}});
  auto third = call("GetRecords", {{"ShardIterator", page["NextShardIterator"]}}, 400);
  EXPECT_EQ(third["__type"], "ProvisionedThroughputExceededException");
  EXPECT_EQ(third["message"], throttled);
  clock_.advance(500);
  call("GetRecords", {{"ShardIterator", page["NextShardIterator"]}});
}

}  // namespace
}  // namespace kbridge::kinesis
