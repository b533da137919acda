// The `limits` section: off by default with Kinesis's rates, switched on and tuned by config,
// every bad value reported with its path.

#include <gtest/gtest.h>

#include "config/config.h"

namespace kbridge::config {
namespace {

TEST(LimitsConfigTest, OffByDefaultWithKinesisRates) {
  ConfigErrors errors;
  auto c = parseConfig("{}", {}, errors);
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->limits.enabled);
  EXPECT_EQ(c->limits.writeBytesPerSecond, 1024 * 1024);
  EXPECT_EQ(c->limits.writeRecordsPerSecond, 1000);
  EXPECT_EQ(c->limits.readBytesPerSecond, 2 * 1024 * 1024);
  EXPECT_EQ(c->limits.readCallsPerSecond, 5);
  EXPECT_EQ(c->limits.dryRunsPerSecond, 1);
}

TEST(LimitsConfigTest, ReadsEveryKey) {
  ConfigErrors errors;
  auto c = parseConfig(R"({"limits":{"enabled":true,"write_bytes_per_second":2048,
      "write_records_per_second":10,"read_bytes_per_second":4096,"read_calls_per_second":2,
      "dry_runs_per_second":3}})",
                       {}, errors);
  ASSERT_TRUE(c) << (errors.errors.empty() ? "" : errors.errors[0]);
  EXPECT_TRUE(c->limits.enabled);
  EXPECT_EQ(c->limits.writeBytesPerSecond, 2048);
  EXPECT_EQ(c->limits.writeRecordsPerSecond, 10);
  EXPECT_EQ(c->limits.readBytesPerSecond, 4096);
  EXPECT_EQ(c->limits.readCallsPerSecond, 2);
  EXPECT_EQ(c->limits.dryRunsPerSecond, 3);
}

TEST(LimitsConfigTest, ReportsBadValuesWithTheirPaths) {
  ConfigErrors errors;
  auto c = parseConfig(
      R"({"limits":{"enabled":"yes","write_records_per_second":0,"read_calls_per_second":1.5,
          "burst":3}})",
      {}, errors);
  EXPECT_FALSE(c);
  auto has = [&](const std::string& needle) {
    for (const auto& e : errors.errors) {
      if (e.find(needle) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("$.limits.enabled: must be true or false"));
  EXPECT_TRUE(has("$.limits.write_records_per_second: must be between 1 and"));
  EXPECT_TRUE(has("$.limits.read_calls_per_second: must be an integer"));
  EXPECT_TRUE(has("$.limits.burst: unknown key"));
}

}  // namespace
}  // namespace kbridge::config
