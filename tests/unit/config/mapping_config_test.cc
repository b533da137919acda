#include <gtest/gtest.h>

#include "config/config.h"

namespace kbridge::config {
namespace {

bool contains(const ConfigErrors& errors, const std::string& needle) {
  for (const auto& e : errors.errors) {
    if (e.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::string dump(const ConfigErrors& errors) {
  std::string out;
  for (const auto& e : errors.errors) out += e + "\n";
  return out;
}

TEST(MappingConfig, ReadsEveryOption) {
  ConfigErrors errors;
  auto c = parseConfig(R"({"mappings":[{
      "name":"orders-archive","stream":"orders",
      "handler":{"type":"webhook","url":"http://127.0.0.1:1/x"},
      "batch_size":500,"max_batching_window_ms":2000,
      "starting_position":"AT_TIMESTAMP","starting_position_timestamp":"2026-11-22T10:00:00.5Z",
      "parallelization_factor":5,"bisect_on_error":true,"max_retry_attempts":3,
      "max_record_age_s":3600,"on_failure":{"topic":"orders-dlq","include_records":true},
      "report_batch_item_failures":true,"enabled":false,
      "filter":{"data":{"type":["order"]}},"retry_backoff":{"initial_ms":50,"max_ms":1000}}]})",
                       {}, errors);
  ASSERT_TRUE(c) << dump(errors);
  ASSERT_EQ(c->mappings.size(), 1u);
  const auto& m = c->mappings[0];
  EXPECT_EQ(m.name, "orders-archive");
  EXPECT_EQ(m.stream, "orders");
  EXPECT_EQ(m.handlerType, "webhook");
  EXPECT_EQ(m.handlerSettings, nlohmann::json({{"url", "http://127.0.0.1:1/x"}}));
  EXPECT_EQ(m.consumerGroup, "kbridge.orders-archive");
  EXPECT_EQ(m.batchSize, 500);
  EXPECT_EQ(m.maxBatchingWindowMs, 2000);
  EXPECT_EQ(m.startingPosition, StartingPosition::kAtTimestamp);
  EXPECT_EQ(m.startingTimestampMs, 1795341600500);
  EXPECT_EQ(m.parallelizationFactor, 5);
  EXPECT_TRUE(m.bisectOnError);
  EXPECT_EQ(m.maxRetryAttempts, 3);
  EXPECT_EQ(m.maxRecordAgeS, 3600);
  ASSERT_TRUE(m.onFailure);
  EXPECT_EQ(m.onFailure->topic, "orders-dlq");
  EXPECT_TRUE(m.onFailure->includeRecords);
  EXPECT_TRUE(m.reportBatchItemFailures);
  EXPECT_FALSE(m.enabled);
  ASSERT_TRUE(m.filter.is_array());
  EXPECT_EQ(m.filter.size(), 1u) << "a single pattern becomes a list of one";
  EXPECT_EQ(m.retryBackoffInitialMs, 50);
  EXPECT_EQ(m.retryBackoffMaxMs, 1000);
}

TEST(MappingConfig, DefaultsFollowLambda) {
  ConfigErrors errors;
  auto c = parseConfig(
      R"({"mappings":[{"name":"m","stream":"s","handler":{"type":"log"},"starting_position":"LATEST"}]})",
      {}, errors);
  ASSERT_TRUE(c) << dump(errors);
  const auto& m = c->mappings[0];
  EXPECT_EQ(m.batchSize, 100);
  EXPECT_EQ(m.maxBatchingWindowMs, 0);
  EXPECT_EQ(m.parallelizationFactor, 1);
  EXPECT_EQ(m.maxRetryAttempts, -1);
  EXPECT_EQ(m.maxRecordAgeS, -1);
  EXPECT_TRUE(m.enabled);
  EXPECT_TRUE(m.filter.is_null());
  EXPECT_FALSE(m.onFailure);
}

TEST(MappingConfig, ReportsEveryErrorWithItsPath) {
  ConfigErrors errors;
  auto c = parseConfig(R"({"mappings":[
      {"name":"a b","handler":"log","batch_size":0,"max_batching_window_ms":300001,
       "parallelization_factor":11,"max_retry_attempts":-2,"max_record_age_s":0,
       "starting_position":"NOW","on_failure":{"stream":"x","topic":"y"},"filter":[],"extra":1},
      {"name":"m","stream":"s","handler":{"url":"x"},"starting_position":"AT_TIMESTAMP"},
      {"name":"m","stream":"s","handler":{"type":"log"},"starting_position":"LATEST",
       "starting_position_timestamp":5}]})",
                       {}, errors);
  EXPECT_FALSE(c);
  for (const char* needle : {
           "$.mappings[0].name: may contain only",
           "$.mappings[0].stream: is required",
           "$.mappings[0].handler: must be an object",
           "$.mappings[0].batch_size: must be between 1 and 10000",
           "$.mappings[0].max_batching_window_ms: must be between 0 and 300000",
           "$.mappings[0].parallelization_factor: must be between 1 and 10",
           "$.mappings[0].max_retry_attempts: must be between -1 and 10000",
           "$.mappings[0].max_record_age_s: must be -1 or at least 1",
           "$.mappings[0].starting_position: must be TRIM_HORIZON, LATEST or AT_TIMESTAMP",
           "$.mappings[0].on_failure: needs exactly one of",
           "$.mappings[0].filter: must be a pattern object or a non-empty array",
           "$.mappings[0].extra: unknown key",
           "$.mappings[1].handler.type: is required",
           "$.mappings[1].starting_position_timestamp: is required with AT_TIMESTAMP",
           "$.mappings[2].name: \"m\" is used twice",
           "$.mappings[2].starting_position_timestamp: is allowed only with AT_TIMESTAMP",
       }) {
    EXPECT_TRUE(contains(errors, needle)) << needle << "\n" << dump(errors);
  }
}

TEST(MappingConfig, ValidatorSeesOnlyOtherwiseValidMappings) {
  ConfigErrors errors;
  std::vector<std::string> seen;
  auto c = parseConfig(
      R"({"mappings":[{"name":"ok","stream":"s","handler":{"type":"log","x":1},"starting_position":"LATEST"},
                      {"name":"bad","stream":"s","handler":{"type":"log"}}]})",
      {}, errors,
      [&](const MappingConfig& m, const std::string& path, std::vector<std::string>& e) {
        seen.push_back(m.name);
        e.push_back(path + ".handler.x: unknown key");
      });
  EXPECT_FALSE(c);
  EXPECT_EQ(seen, std::vector<std::string>{"ok"});
  EXPECT_TRUE(contains(errors, "$.mappings[0].handler.x: unknown key"));
  EXPECT_TRUE(contains(errors, "$.mappings[1].starting_position: is required"));
}

TEST(MappingConfig, ParsesIsoTimestamps) {
  EXPECT_EQ(parseTimestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parseTimestamp("2026-11-22T10:00:00Z"), 1795341600000);
  EXPECT_EQ(parseTimestamp("2026-11-22T11:00:00.25+01:00"), 1795341600250);
  EXPECT_EQ(parseTimestamp("2024-02-29T00:00:00-00:30"), 1709166600000);
  EXPECT_FALSE(parseTimestamp("2026-11-22"));
  EXPECT_FALSE(parseTimestamp("2026-13-01T00:00:00Z"));
  EXPECT_FALSE(parseTimestamp("2026-11-22T10:00:00"));
  EXPECT_FALSE(parseTimestamp("2026-11-22T10:00:00Zjunk"));
}

}  // namespace
}  // namespace kbridge::config
