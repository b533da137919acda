// The Kinesis endpoint's metrics end to end, hermetically: requests through the Dispatcher with
// the counting producer and fetcher in front of in-memory topics, then the registry read back.

#include <gtest/gtest.h>

#include "common/executor.h"
#include "fakes/fake_kafka.h"
#include "fakes/fake_services.h"
#include "kinesis/codec.h"
#include "kinesis/dispatcher.h"
#include "ops/api_metrics.h"
#include "ops/metric_values.h"
#include "ops/shard_traffic.h"
#include "streams/catalog.h"

namespace kbridge::ops {
namespace {

using kinesis::Json;
using testing::metricValue;

class ApiAndTrafficMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = std::make_unique<streams::Catalog>(std::make_unique<testing::InMemoryCatalogLog>(),
                                                  std::chrono::milliseconds(100));
    ASSERT_TRUE(catalog_->start());
    auto config = std::make_shared<config::Config>();
    config->kafka.topicPrefix = "kinesis.";
    testing::useFakes(services_, config, *catalog_, admin_, clock_, inline_, topics_);
    services_.producer = producer_.get();
    services_.fetcher = fetcher_.get();
    services_.metrics = &api_;
    dispatcher_ = std::make_unique<kinesis::Dispatcher>(services_);
  }

  http::Response send(const std::string& target, const std::string& body,
                      std::string method = "POST") {
    http::Request request;
    request.method = std::move(method);
    request.target = "/";
    request.headers = {{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", target}};
    request.body = body;
    http::Response out;
    dispatcher_->handle(std::move(request), [&](http::Response r) { out = std::move(r); });
    return out;
  }
  Json call(const std::string& action, const Json& body) {
    auto r = send("Kinesis_20131202." + action, body.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body.empty() ? Json() : Json::parse(r.body);
  }

  MetricsRegistry registry_;
  ApiMetrics api_{registry_};
  std::unique_ptr<streams::Catalog> catalog_;
  ShardTraffic traffic_{registry_, [this](const std::string& topic) {
                          return streamOfTopicIn(*catalog_, "kinesis.")(topic);
                        }};
  testing::FakeKafkaAdmin admin_;
  testing::InMemoryTopics topics_;
  std::unique_ptr<kafka::RecordProducer> producer_ = countIncoming(topics_, traffic_);
  std::unique_ptr<kafka::Fetcher> fetcher_ = countOutgoing(topics_, traffic_);
  ManualClock clock_{1'700'000'000'000};
  InlineExecutor inline_;
  kinesis::Services services_;
  std::unique_ptr<kinesis::Dispatcher> dispatcher_;
};

TEST_F(ApiAndTrafficMetricsTest, CountsRequestsByOperationAndStatusAndShardTraffic) {
  call("CreateStream", {{"StreamName", "s"}, {"ShardCount", 1}});
  Json records = Json::array();
  for (int i = 0; i < 3; ++i) {
    records.push_back({{"PartitionKey", "k" + std::to_string(i)},
                       {"Data", kinesis::base64Encode(std::string(10 + i, 'x'))}});
  }
  call("PutRecords", {{"StreamName", "s"}, {"Records", records}});
  call("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "AQID"}});  // 3 bytes
  auto it = call("GetShardIterator", {{"StreamName", "s"},
                                      {"ShardId", "shardId-000000000000"},
                                      {"ShardIteratorType", "TRIM_HORIZON"}});
  auto page = call("GetRecords", {{"ShardIterator", it["ShardIterator"]}, {"Limit", 2}});
  ASSERT_EQ(page["Records"].size(), 2u);
  // Errors: a missing stream, an unknown operation, a GET.
  EXPECT_EQ(send("Kinesis_20131202.PutRecord",
                 R"({"StreamName":"nope","PartitionKey":"k","Data":"AQ=="})")
                .status,
            400);
  EXPECT_EQ(send("Kinesis_20131202.Frobnicate", "{}").status, 400);
  EXPECT_EQ(send("Kinesis_20131202.ListStreams", "{}", "GET").status, 403);

  const auto requests = [this](const char* op, const char* status) {
    return metricValue(registry_, "kbridge_api_requests_total",
                       {{"operation", op}, {"status", status}});
  };
  EXPECT_EQ(requests("CreateStream", "OK"), 1.0);
  EXPECT_EQ(requests("PutRecords", "OK"), 1.0);
  EXPECT_EQ(requests("PutRecord", "OK"), 1.0);
  EXPECT_EQ(requests("GetRecords", "OK"), 1.0);
  EXPECT_EQ(requests("PutRecord", "ResourceNotFoundException"), 1.0);
  EXPECT_EQ(requests("unknown", "UnknownOperationException"), 1.0);
  EXPECT_EQ(requests("ListStreams", "403"), 1.0);
  EXPECT_EQ(
      metricValue(registry_, "kbridge_api_request_duration_seconds", {{"operation", "PutRecord"}}),
      2.0);

  const std::map<std::string, std::string> shard{{"stream", "s"},
                                                 {"shard", "shardId-000000000000"}};
  EXPECT_EQ(metricValue(registry_, "kbridge_shard_incoming_records_total", shard), 4.0);
  EXPECT_EQ(metricValue(registry_, "kbridge_shard_incoming_bytes_total", shard),
            10.0 + 11 + 12 + 3);
  EXPECT_EQ(metricValue(registry_, "kbridge_shard_outgoing_records_total", shard), 2.0);
  EXPECT_EQ(metricValue(registry_, "kbridge_shard_outgoing_bytes_total", shard), 10.0 + 11);

  const std::string text = registry_.render();
  EXPECT_NE(text.find("# TYPE kbridge_api_request_duration_seconds histogram"), std::string::npos);
}

TEST_F(ApiAndTrafficMetricsTest, FailedPutsAndTopicsOfNoStreamAreNotCounted) {
  call("CreateStream", {{"StreamName", "s"}, {"ShardCount", 1}});
  topics_.failWith = kafka::KafkaError{kafka::KafkaErrorKind::kQueueFull, 0, "full"};
  auto r = call(
      "PutRecords",
      {{"StreamName", "s"}, {"Records", Json::array({{{"PartitionKey", "k"}, {"Data", "AQ=="}}})}});
  EXPECT_EQ(r["FailedRecordCount"], 1);
  topics_.failWith.reset();
  std::vector<kafka::OutgoingRecord> plain(1);
  plain[0].topic = "dlq-topic";
  plain[0].partition = 0;
  plain[0].value = "x";
  producer_->produce(std::move(plain), [](std::vector<kafka::DeliveryResult>) {});
  EXPECT_EQ(metricValue(registry_, "kbridge_shard_incoming_records_total",
                        {{"stream", "s"}, {"shard", "shardId-000000000000"}}),
            0.0);
  EXPECT_EQ(registry_.render().find("dlq-topic"), std::string::npos);
}

TEST_F(ApiAndTrafficMetricsTest, AnAdoptedTopicCountsForItsStream) {
  streams::StreamMeta adopted;
  adopted.name = "orders";
  adopted.topic = "orders.v1";  // not "kinesis." + its name
  adopted.shards = streams::initialShards(2, 1);
  adopted.adopted = true;
  ASSERT_TRUE(catalog_->put(adopted));
  std::vector<kafka::OutgoingRecord> records(1);
  records[0].topic = "orders.v1";
  records[0].partition = 1;
  records[0].value = "abc";
  producer_->produce(std::move(records), [](std::vector<kafka::DeliveryResult>) {});
  EXPECT_EQ(metricValue(registry_, "kbridge_shard_incoming_records_total",
                        {{"stream", "orders"}, {"shard", "shardId-000000000001"}}),
            1.0);
  EXPECT_EQ(metricValue(registry_, "kbridge_shard_incoming_bytes_total",
                        {{"stream", "orders"}, {"shard", "shardId-000000000001"}}),
            3.0);
}

TEST_F(ApiAndTrafficMetricsTest,
       ADeletedStreamsSeriesGoAtTheNextScrapeAndARecreatedOneStartsAtZero) {
  const std::map<std::string, std::string> shard{{"stream", "s"},
                                                 {"shard", "shardId-000000000000"}};
  call("CreateStream", {{"StreamName", "s"}, {"ShardCount", 1}});
  call("CreateStream", {{"StreamName", "kept"}, {"ShardCount", 1}});
  call("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "AQID"}});
  call("PutRecord", {{"StreamName", "kept"}, {"PartitionKey", "k"}, {"Data", "AQID"}});
  EXPECT_EQ(metricValue(registry_, "kbridge_shard_incoming_records_total", shard), 1.0);
  // What a delivery report in flight holds while the stream goes.
  auto inFlight = traffic_.counts(ShardTraffic::Direction::kIncoming, "kinesis.s", 0);
  ASSERT_TRUE(inFlight);

  call("DeleteStream", {{"StreamName", "s"}});
  const std::string text = registry_.render();
  EXPECT_EQ(text.find("stream=\"s\""), std::string::npos) << text;
  EXPECT_NE(text.find("kbridge_shard_incoming_records_total{shard=\"shardId-000000000000\","
                      "stream=\"kept\"} 1"),
            std::string::npos)
      << text;
  inFlight->add(1, 3);  // the report arrives after the scrape: counted nowhere, freed later
  inFlight.reset();

  call("CreateStream", {{"StreamName", "s"}, {"ShardCount", 1}});
  call("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "AQ=="}});
  EXPECT_EQ(metricValue(registry_, "kbridge_shard_incoming_records_total", shard), 1.0);
  EXPECT_EQ(metricValue(registry_, "kbridge_shard_incoming_bytes_total", shard), 1.0);
  EXPECT_EQ(metricValue(registry_, "kbridge_shard_outgoing_records_total", shard), 0.0);
}

}  // namespace
}  // namespace kbridge::ops
