#include "handlers/metrics/metrics_handler.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "handlers/metrics/batch_summary.h"
#include "handlers/registry.h"
#include "ops/metric_values.h"

namespace kbridge::handlers {
namespace {

using nlohmann::json;
using runtime::Record;
using testing::metricValue;

std::vector<std::string> buildErrors(const json& settings) {
  std::vector<std::string> errors;
  auto handler = buildMetricsHandler(settings, "$.mappings[0].handler", errors);
  EXPECT_EQ(handler == nullptr, !errors.empty());
  return errors;
}

Record record(std::string key, std::string data, std::int64_t arrivalMs) {
  Record r;
  r.partitionKey = std::move(key);
  r.data = std::move(data);
  r.arrivalMs = arrivalMs;
  return r;
}

TEST(MetricsHandlerSettings, DefaultsAreValidAndErrorsCarryTheirPaths) {
  EXPECT_TRUE(buildErrors(json::object()).empty());
  EXPECT_TRUE(buildErrors({{"environment", "prod"},
                           {"source_field", "origin"},
                           {"max_sources", 3},
                           {"emf", {{"namespace", "X/Y"}, {"output", "stdout"}}}})
                  .empty());
  EXPECT_EQ(
      buildErrors({{"environment", ""},
                   {"max_sources", 5000},
                   {"emf", {{"namespace", ""}, {"format", 1}}},
                   {"colour", true}}),
      (std::vector<std::string>{"$.mappings[0].handler.environment: must not be empty",
                                "$.mappings[0].handler.max_sources: must be between 0 and 1000",
                                "$.mappings[0].handler.emf.namespace: must be 1 to 255 characters",
                                "$.mappings[0].handler.emf.format: unknown key",
                                "$.mappings[0].handler.colour: unknown key"}));
  std::vector<std::string> errors;
  EXPECT_NE(buildHandler("metrics", json::object(), "$.h", errors), nullptr);
  EXPECT_TRUE(errors.empty());
}

TEST(BatchSummary, CountsRecordsBytesKeysLatencyAndSources) {
  const std::vector<Record> records = {
      record("a", R"({"source":"web","n":1})", 1000),
      record("b", R"({"source":"web"})", 1500),
      record("a", R"({"source":"mobile"})", 2000),
      record("c", "not json", 2500),
      record("d", R"({"other":1})", 3000),
      record("e", R"([1,2])", 3000),
      record("f", R"({"source":7})", 4000),
  };
  const auto s = summarizeBatch(records, "source", 5000);
  EXPECT_EQ(s.records, 7u);
  std::uint64_t bytes = 0;
  for (const auto& r : records) bytes += r.data.size();
  EXPECT_EQ(s.bytes, bytes);
  EXPECT_EQ(s.uniquePartitions, 6u);
  EXPECT_EQ(s.latencyMinMs, 1000);
  EXPECT_EQ(s.latencyMaxMs, 4000);
  EXPECT_DOUBLE_EQ(s.latencyAvgMs, (4000.0 + 3500 + 3000 + 2500 + 2000 + 2000 + 1000) / 7);
  EXPECT_EQ(s.bySource, (std::map<std::string, std::uint64_t, std::less<>>{
                            {"web", 2}, {"mobile", 1}, {"7", 1}}));
  EXPECT_EQ(s.notJson, 1u);
  EXPECT_EQ(s.noSourceField, 2u);
}

TEST(BatchSummary, EmfLinesFollowTheEmbeddedMetricFormat) {
  const std::vector<Record> records = {record("a", R"({"source":"web"})", 900),
                                       record("b", R"({"source":"web"})", 700)};
  const auto s = summarizeBatch(records, "source", 1000);
  const std::string text =
      emfLines(s, s.bySource, {"DataPipeline/Kinesis", "orders", "prod"}, 1000);
  std::istringstream in(text);
  std::string line;
  std::vector<json> docs;
  while (std::getline(in, line)) docs.push_back(json::parse(line));
  ASSERT_EQ(docs.size(), 2u);
  const auto& batch = docs[0];
  EXPECT_EQ(batch["_aws"]["Timestamp"], 1000);
  const auto& directive = batch["_aws"]["CloudWatchMetrics"][0];
  EXPECT_EQ(directive["Namespace"], "DataPipeline/Kinesis");
  EXPECT_EQ(directive["Dimensions"], json::parse(R"([["StreamName","Environment"]])"));
  EXPECT_EQ(directive["Metrics"].size(), 6u);
  for (const auto& m : directive["Metrics"]) {
    EXPECT_TRUE(batch.contains(m["Name"].get<std::string>())) << m;
  }
  EXPECT_EQ(batch["StreamName"], "orders");
  EXPECT_EQ(batch["Environment"], "prod");
  EXPECT_EQ(batch["RecordsProcessed"], 2);
  EXPECT_EQ(batch["DataSizeBytes"], 32);
  EXPECT_EQ(batch["UniquePartitions"], 2);
  EXPECT_EQ(batch["ProcessingLatencyMax"], 300);
  EXPECT_EQ(batch["ProcessingLatencyMin"], 100);
  EXPECT_EQ(batch["ProcessingLatencyAvg"], 200.0);
  const auto& source = docs[1];
  EXPECT_EQ(source["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json::parse(R"([["StreamName","Environment","Source"]])"));
  EXPECT_EQ(source["Source"], "web");
  EXPECT_EQ(source["RecordsBySource"], 2);
}

class MetricsHandlerTest : public ::testing::Test {
 protected:
  std::unique_ptr<runtime::Handler> open(const json& settings) {
    std::vector<std::string> errors;
    auto handler = buildMetricsHandler(settings, "$.h", errors);
    EXPECT_TRUE(errors.empty());
    runtime::HandlerContext context;
    context.mappingName = "m";
    context.streamName = "orders";
    context.clock = &clock_;
    context.metrics = &registry_;
    EXPECT_EQ(handler->open(context), "");
    return handler;
  }
  runtime::DeliveryResult deliver(runtime::Handler& h, const std::vector<Record>& records) {
    runtime::Batch batch;
    batch.shardId = "shardId-000000000000";
    batch.records = records;
    return h.deliver(batch);
  }
  std::optional<double> value(const std::string& name,
                              std::map<std::string, std::string> labels = {}, bool sum = false) {
    labels.emplace("stream", "orders");
    labels.emplace("environment", "prod");
    return metricValue(registry_, name, labels, sum);
  }

  ManualClock clock_{10'000};
  ops::MetricsRegistry registry_;
};

TEST_F(MetricsHandlerTest, ExportsPerBatchMetricsWithBoundedSources) {
  auto h = open({{"environment", "prod"}, {"max_sources", 2}});
  const std::vector<Record> first = {
      record("a", R"({"source":"web"})", 9000), record("b", R"({"source":"mobile"})", 9500),
      record("a", R"({"source":"iot"})", 9900), record("c", "\x01\x02", 9990)};
  const std::vector<Record> second = {record("z", R"({"source":"web"})", 10'000),
                                      record("z", R"({"source":"batch"})", 10'000),
                                      record("y", R"({"nosource":true})", 10'000)};
  ASSERT_EQ(deliver(*h, first).outcome, runtime::Outcome::kOk);
  ASSERT_EQ(deliver(*h, second).outcome, runtime::Outcome::kOk);
  double bytes = 0;
  for (const auto* batch : {&first, &second})
    for (const auto& r : *batch) bytes += static_cast<double>(r.data.size());
  EXPECT_EQ(value("kbridge_stream_records_processed_total"), 7.0);
  EXPECT_EQ(value("kbridge_stream_data_bytes_total"), bytes);
  EXPECT_EQ(value("kbridge_stream_unique_partitions"), 2.0) << "two batches";
  EXPECT_EQ(value("kbridge_stream_unique_partitions", {}, true), 3.0 + 2);
  EXPECT_EQ(value("kbridge_stream_processing_latency_seconds"), 7.0);
  EXPECT_DOUBLE_EQ(*value("kbridge_stream_processing_latency_seconds", {}, true),
                   (1000 + 500 + 100 + 10) / 1000.0);
  EXPECT_EQ(value("kbridge_stream_records_by_source_total", {{"source", "web"}}), 2.0);
  EXPECT_EQ(value("kbridge_stream_records_by_source_total", {{"source", "mobile"}}), 1.0);
  EXPECT_EQ(value("kbridge_stream_records_by_source_total", {{"source", "other"}}), 2.0)
      << "iot and batch came after the first two sources";
  EXPECT_EQ(value("kbridge_stream_records_by_source_total", {{"source", "iot"}}), std::nullopt);
  EXPECT_EQ(value("kbridge_stream_records_unattributed_total", {{"reason", "not_json"}}), 1.0);
  EXPECT_EQ(value("kbridge_stream_records_unattributed_total", {{"reason", "no_source_field"}}),
            1.0);
  const std::string text = registry_.render();
  EXPECT_NE(text.find("kbridge_stream_processing_latency_seconds_bucket{environment=\"prod\","
                      "stream=\"orders\",le=\"0.01\"} 4\n"),
            std::string::npos)
      << text;
}

TEST_F(MetricsHandlerTest, WritesEmfLinesToAFileAndRetriesWhenItCannot) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("kbridge-emf-test-" + std::to_string(::getpid()) + ".jsonl");
  std::filesystem::remove(path);
  {
    auto h = open({{"environment", "prod"}, {"emf", {{"output", path.string()}}}});
    ASSERT_EQ(deliver(*h, {record("a", R"({"source":"web"})", 9000),
                           record("b", R"({"source":"app"})", 9000)})
                  .outcome,
              runtime::Outcome::kOk);
    h->close();
    const auto failed = deliver(*h, {record("a", "x", 9000)});
    EXPECT_EQ(failed.outcome, runtime::Outcome::kRetryLater);
    EXPECT_EQ(value("kbridge_stream_records_processed_total"), 2.0)
        << "a batch whose EMF lines were not written is not counted";
  }
  std::ifstream in(path);
  std::string line;
  std::vector<json> docs;
  while (std::getline(in, line)) docs.push_back(json::parse(line));
  std::filesystem::remove(path);
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"], "DataPipeline/Kinesis");
  EXPECT_EQ(docs[0]["RecordsProcessed"], 2);
  EXPECT_EQ(docs[0]["ProcessingLatencyAvg"], 1000.0);
  EXPECT_EQ(docs[1]["Source"], "app");
  EXPECT_EQ(docs[2]["Source"], "web");
}

TEST_F(MetricsHandlerTest, WorksWithoutAProcessRegistry) {
  std::vector<std::string> errors;
  auto h = buildMetricsHandler(json::object(), "$.h", errors);
  runtime::HandlerContext context;
  context.streamName = "s";
  context.clock = &clock_;
  ASSERT_EQ(h->open(context), "");
  EXPECT_EQ(deliver(*h, {record("a", "{}", 0)}).outcome, runtime::Outcome::kOk);
}

}  // namespace
}  // namespace kbridge::handlers
