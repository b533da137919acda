// POST /api/ingest/stream hermetically: the catalog and topics in memory, the stream created
// through the Kinesis dispatcher, the records read back from the in-memory topic.

#include "api/ingest_route.h"

#include <gtest/gtest.h>

#include <set>

#include "fakes/fake_kafka.h"
#include "fakes/fake_services.h"
#include "kinesis/dispatcher.h"
#include "streams/catalog.h"

namespace kbridge::api {
namespace {

using nlohmann::json;

class IngestRouteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = std::make_unique<streams::Catalog>(std::make_unique<testing::InMemoryCatalogLog>(),
                                                  std::chrono::milliseconds(100));
    ASSERT_TRUE(catalog_->start());
    testing::useFakes(services_, std::make_shared<config::Config>(), *catalog_, admin_, clock_,
                      inline_, topics_);
    dispatcher_ = std::make_unique<kinesis::Dispatcher>(services_);
    router_ = std::make_unique<ApiRouter>(*dispatcher_, config::CorsConfig{});
    addIngestRoute(*router_, services_, {"ingest", "userId"});
    http::Request create{"POST",
                         "/",
                         {{"Content-Type", "application/x-amz-json-1.1"},
                          {"X-Amz-Target", "Kinesis_20131202.CreateStream"}},
                         R"({"StreamName":"ingest","ShardCount":2})",
                         ""};
    router_->handle(std::move(create),
                    [](http::Response r) { ASSERT_EQ(r.status, 200) << r.body; });
  }

  http::Response post(const std::string& body) {
    std::optional<http::Response> out;
    router_->handle(
        http::Request{
            "POST", "/api/ingest/stream", {{"Content-Type", "application/json"}}, body, ""},
        [&](http::Response r) { out = std::move(r); });
    EXPECT_TRUE(out);
    return out.value_or(http::Response{});
  }

  // Every record of the stream's topic: (key, value).
  std::vector<std::pair<std::string, std::string>> stored() {
    std::vector<std::pair<std::string, std::string>> out;
    for (int p = 0; p < 2; ++p) {
      for (const auto& s : topics_.partitions[{"ingest", p}]) out.emplace_back(s.key, s.value);
    }
    return out;
  }

  std::unique_ptr<streams::Catalog> catalog_;
  testing::FakeKafkaAdmin admin_;
  testing::InMemoryTopics topics_;
  ManualClock clock_{1'700'000'000'000};
  InlineExecutor inline_;
  kinesis::Services services_;
  std::unique_ptr<kinesis::Dispatcher> dispatcher_;
  std::unique_ptr<ApiRouter> router_;
};

TEST_F(IngestRouteTest, AnObjectBecomesOneRecordKeyedByTheField) {
  auto r = post(R"({"userId": "u-1", "eventType": "purchase", "n": 1})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = json::parse(r.body);
  EXPECT_EQ(body["count"], 1);
  EXPECT_EQ(body["failedRecordCount"], 0);
  EXPECT_EQ(body["message"], "Ingested 1 record");
  ASSERT_EQ(body["records"].size(), 1u);
  EXPECT_EQ(body["records"][0]["partitionKey"], "u-1");
  EXPECT_TRUE(body["records"][0]["sequenceNumber"].is_string());
  EXPECT_EQ(body["records"][0]["shardId"].get<std::string>().rfind("shardId-", 0), 0u);
  auto records = stored();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].first, "u-1");
  EXPECT_EQ(json::parse(records[0].second),
            json({{"userId", "u-1"}, {"eventType", "purchase"}, {"n", 1}}));
}

TEST_F(IngestRouteTest, AnArrayBecomesOneRecordPerElement) {
  auto r = post(R"([{"userId": 7}, {"other": 1}, "text", {"userId": ""}])");
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = json::parse(r.body);
  EXPECT_EQ(body["count"], 4);
  EXPECT_EQ(body["records"][0]["partitionKey"], "7");
  for (int i : {1, 2, 3}) {
    const std::string key = body["records"][i]["partitionKey"];
    EXPECT_EQ(key.rfind("partition-1700000000000-", 0), 0u) << key;
  }
  EXPECT_EQ(stored().size(), 4u);
  std::set<std::string> sequences;
  for (const auto& rec : body["records"])
    sequences.insert(rec["sequenceNumber"].get<std::string>());
  EXPECT_EQ(sequences.size(), 4u);
}

TEST_F(IngestRouteTest, BadRequestsAre400WithAClearMessage) {
  auto message = [&](const std::string& body) {
    auto r = post(body);
    EXPECT_EQ(r.status, 400) << body;
    return json::parse(r.body)["message"].get<std::string>();
  };
  EXPECT_EQ(message(""), "The request body is empty: send a JSON object or array.");
  EXPECT_EQ(message("{not json"), "The request body is not valid JSON.");
  EXPECT_EQ(message("42"), "The request body must be a JSON object or array.");
  EXPECT_EQ(message("[]"), "The array holds no records.");
  json many = json::array();
  for (int i = 0; i < 501; ++i) many.push_back({{"i", i}});
  EXPECT_EQ(message(many.dump()), "Too many records: 501 (at most 500 per request).");
  json big = json::array({{{"i", 0}}, {{"pad", std::string(1024 * 1024, 'x')}}});
  EXPECT_EQ(message(big.dump()),
            "Record 1 is 1048619 bytes; a record may have at most 1048576 bytes (data and "
            "partition key).");
  json total = json::array();
  for (int i = 0; i < 6; ++i) total.push_back({{"pad", std::string(1000 * 1000, 'x')}});
  EXPECT_NE(message(total.dump()).find("a request may have at most 5242880"), std::string::npos);
  EXPECT_NE(message(json{{"userId", std::string(257, 'k')}}.dump()).find("longer than 256"),
            std::string::npos);
  EXPECT_TRUE(stored().empty());
}

TEST_F(IngestRouteTest, KafkaUnavailableIs503) {
  topics_.failWith = kafka::KafkaError{kafka::KafkaErrorKind::kTimedOut, -185, "Local: timed out"};
  auto r = post(R"([{"a":1},{"a":2}])");
  EXPECT_EQ(r.status, 503);
  auto body = json::parse(r.body);
  EXPECT_EQ(body["failedRecordCount"], 2);
  EXPECT_EQ(body["records"][0]["errorCode"], "ServiceUnavailable");
  EXPECT_NE(body["message"].get<std::string>().find("Kafka is unavailable"), std::string::npos);
  bool retryAfter = false;
  for (const auto& [k, v] : r.headers) retryAfter = retryAfter || (k == "Retry-After" && v == "1");
  EXPECT_TRUE(retryAfter);
}

TEST_F(IngestRouteTest, AMissingStreamIs500) {
  ApiRouter router(*dispatcher_, config::CorsConfig{});
  addIngestRoute(router, services_, {"nowhere", ""});
  std::optional<http::Response> out;
  router.handle(http::Request{"POST", "/api/ingest/stream", {}, R"({"a":1})", ""},
                [&](http::Response r) { out = std::move(r); });
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 500);
  EXPECT_EQ(json::parse(out->body)["message"],
            "Stream nowhere under account 000000000000 not found.");
}

TEST_F(IngestRouteTest, OtherMethodsAre405AndKinesisStillWorks) {
  std::optional<http::Response> out;
  router_->handle(http::Request{"GET", "/api/ingest/stream", {}, "", ""},
                  [&](http::Response r) { out = std::move(r); });
  EXPECT_EQ(out->status, 405);
  router_->handle(http::Request{"POST",
                                "/",
                                {{"Content-Type", "application/x-amz-json-1.1"},
                                 {"X-Amz-Target", "Kinesis_20131202.ListStreams"}},
                                "{}",
                                ""},
                  [&](http::Response r) { out = std::move(r); });
  EXPECT_EQ(out->status, 200);
  EXPECT_EQ(json::parse(out->body)["StreamNames"], json({"ingest"}));
}

}  // namespace
}  // namespace kbridge::api
