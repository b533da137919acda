// Per-shard Kinesis limits with an injected clock: allowances per second, refill, independence of
// shards, and read debt after a large answer.

#include "streams/shard_limits.h"

#include <gtest/gtest.h>

namespace kbridge::streams {
namespace {

class ShardLimitsTest : public ::testing::Test {
 protected:
  ManualClock clock_{1'700'000'000'000};
  ShardLimits limits_{ShardLimitRates{}, clock_};
};

TEST_F(ShardLimitsTest, ThousandRecordsPerSecondPerShard) {
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limits_.tryWrite("s", 0, 10)) << i;
  EXPECT_FALSE(limits_.tryWrite("s", 0, 10));
  EXPECT_TRUE(limits_.tryWrite("s", 1, 10)) << "another shard has its own allowance";
  EXPECT_TRUE(limits_.tryWrite("t", 0, 10)) << "another stream has its own allowance";
  clock_.advance(100);  // a tenth of a second refills a tenth
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(limits_.tryWrite("s", 0, 10)) << i;
  EXPECT_FALSE(limits_.tryWrite("s", 0, 10));
}

TEST_F(ShardLimitsTest, OneMebibytePerSecondPerShard) {
  const std::size_t quarter = 256 * 1024;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(limits_.tryWrite("s", 0, quarter));
  EXPECT_FALSE(limits_.tryWrite("s", 0, 1));
  clock_.advance(250);
  EXPECT_TRUE(limits_.tryWrite("s", 0, quarter));
  EXPECT_FALSE(limits_.tryWrite("s", 0, 1024));
}

TEST_F(ShardLimitsTest, OneDryRunPerSecondPerStreamWhateverTheShard) {
  EXPECT_TRUE(limits_.tryDryRun("s"));
  EXPECT_FALSE(limits_.tryDryRun("s"));
  EXPECT_TRUE(limits_.tryDryRun("t")) << "another stream has its own allowance";
  EXPECT_TRUE(limits_.tryWrite("s", 0, 10)) << "dry runs and writes are counted apart";
  clock_.advance(999);
  EXPECT_FALSE(limits_.tryDryRun("s"));
  clock_.advance(1);
  EXPECT_TRUE(limits_.tryDryRun("s"));
  EXPECT_FALSE(limits_.tryDryRun("s"));
  clock_.advance(120'000);  // idle past the sweep: the stream starts again with a full second
  EXPECT_TRUE(limits_.tryDryRun("t"));
  EXPECT_TRUE(limits_.tryDryRun("s"));
  EXPECT_FALSE(limits_.tryDryRun("s"));
}

TEST_F(ShardLimitsTest, RefusedRecordTakesNothing) {
  ASSERT_TRUE(limits_.tryWrite("s", 0, 1024 * 1024 - 10));
  EXPECT_FALSE(limits_.tryWrite("s", 0, 100));  // too big for what is left
  EXPECT_TRUE(limits_.tryWrite("s", 0, 10));    // what is left is still there
}

TEST_F(ShardLimitsTest, AllowanceDoesNotAccumulateBeyondOneSecond) {
  ASSERT_TRUE(limits_.tryWrite("s", 0, 1));
  clock_.advance(10'000);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limits_.tryWrite("s", 0, 1)) << i;
  EXPECT_FALSE(limits_.tryWrite("s", 0, 1));
}

TEST_F(ShardLimitsTest, LargestRecordPassesOnAFullBucket) {
  EXPECT_TRUE(limits_.tryWrite("s", 0, 1024 * 1024 + 256));  // 1 MiB of data and its key
  EXPECT_FALSE(limits_.tryWrite("s", 0, 1));
  clock_.advance(1000);
  EXPECT_TRUE(limits_.tryWrite("s", 0, 1));
}

TEST_F(ShardLimitsTest, FiveReadCallsPerSecond) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(limits_.tryRead("s", 0)) << i;
  EXPECT_FALSE(limits_.tryRead("s", 0));
  EXPECT_TRUE(limits_.tryRead("s", 1));
  clock_.advance(200);
  EXPECT_TRUE(limits_.tryRead("s", 0));
  EXPECT_FALSE(limits_.tryRead("s", 0));
}

TEST_F(ShardLimitsTest, LargeReadBlocksTheShardUntilItsBytesAreEarned) {
  ASSERT_TRUE(limits_.tryRead("s", 0));
  limits_.chargeRead("s", 0, 10 * 1024 * 1024);  // 10 MiB at 2 MiB/s: 8 MiB of debt
  clock_.advance(1000);
  EXPECT_FALSE(limits_.tryRead("s", 0));
  clock_.advance(2900);
  EXPECT_FALSE(limits_.tryRead("s", 0)) << "still short after 3.9 s";
  clock_.advance(200);
  EXPECT_TRUE(limits_.tryRead("s", 0));
}

TEST_F(ShardLimitsTest, WritesAndReadsAreSeparateAllowances) {
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limits_.tryWrite("s", 0, 1));
  EXPECT_TRUE(limits_.tryRead("s", 0));
}

TEST_F(ShardLimitsTest, ConfiguredRatesAndOffByDefault) {
  config::LimitsConfig config;
  EXPECT_EQ(makeShardLimits(config, clock_), nullptr);
  config.enabled = true;
  config.writeRecordsPerSecond = 2;
  config.readCallsPerSecond = 1;
  auto limits = makeShardLimits(config, clock_);
  ASSERT_NE(limits, nullptr);
  EXPECT_TRUE(limits->tryWrite("s", 0, 1));
  EXPECT_TRUE(limits->tryWrite("s", 0, 1));
  EXPECT_FALSE(limits->tryWrite("s", 0, 1));
  EXPECT_TRUE(limits->tryRead("s", 0));
  EXPECT_FALSE(limits->tryRead("s", 0));
}

}  // namespace
}  // namespace kbridge::streams
