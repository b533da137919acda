// LagMonitor over the in-memory GroupOffsets and a manual clock: what one round reports, how the
// window turns samples into statuses, pattern groups, and the JSON served at /v1/lag.

#include "ops/lag_monitor.h"

#include <gtest/gtest.h>

#include "ops/fake_group_offsets.h"
#include "ops/metrics.h"

namespace kbridge::ops {
namespace {

using testing::FakeGroupOffsets;

std::shared_ptr<config::Config> configWith(int window) {
  auto c = std::make_shared<config::Config>();
  config::MappingConfig m;
  m.name = "orders-archive";
  m.stream = "orders";
  m.consumerGroup = "kbridge.orders-archive";
  c->mappings.push_back(m);
  c->lag.window = window;
  c->lag.intervalS = 1;
  return c;
}

StreamDirectory directory() {
  StreamDirectory d;
  d.byName = [](const std::string& name) -> std::optional<StreamInfo> {
    if (name == "orders") return StreamInfo{"orders", "kb.orders", 1700000000000, 2};
    return std::nullopt;
  };
  d.byTopic = [](const std::string& topic) -> std::optional<StreamInfo> {
    if (topic == "kb.orders") return StreamInfo{"orders", "kb.orders", 1700000000000, 2};
    return std::nullopt;
  };
  return d;
}

class LagMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka.topics["kb.orders"] = {FakeGroupOffsets::Partition{0, 100, {}},
                                 FakeGroupOffsets::Partition{10, 50, {}}};
    for (std::int64_t o = 0; o < 100; ++o) kafka.topics["kb.orders"][0].timestamps[o] = 1000 * o;
    kafka.committedOffsets["kbridge.orders-archive"]["kb.orders"] = {{0, 90}, {1, 50}};
    kafka.members["kbridge.orders-archive"] = 1;
  }
  FakeGroupOffsets kafka;
  ManualClock clock{100'000};
};

TEST_F(LagMonitorTest, OneRoundReportsOffsetsRecordsAndSecondsBehind) {
  LagMonitor monitor(configWith(3), kafka, directory(), clock);
  monitor.evaluateOnce();
  auto groups = monitor.snapshot();
  ASSERT_EQ(groups.size(), 1u);
  const auto& g = groups[0];
  EXPECT_EQ(g.target.mapping, "orders-archive");
  EXPECT_EQ(g.target.topic, "kb.orders");
  EXPECT_EQ(g.members, 1);
  ASSERT_EQ(g.shards.size(), 2u);
  EXPECT_EQ(g.shards[0].committed, 90);
  EXPECT_EQ(g.shards[0].end, 100);
  EXPECT_EQ(g.shards[0].recordsBehind, 10);
  EXPECT_EQ(g.shards[0].oldestUnconsumedMs, 90'000);  // the record at the checkpoint
  EXPECT_DOUBLE_EQ(secondsBehind(g.shards[0], clock.nowMillis()), 10.0);
  EXPECT_EQ(g.shards[1].recordsBehind, 0);
  EXPECT_DOUBLE_EQ(secondsBehind(g.shards[1], clock.nowMillis()), 0.0);  // caught up

  auto doc = nlohmann::json::parse(*monitor.renderMapping("orders-archive"));
  EXPECT_EQ(doc["shards"][0]["shard_id"], "shardId-000000000000");
  EXPECT_EQ(doc["shards"][0]["committed_offset"], 90);
  EXPECT_EQ(doc["shards"][0]["end_offset"], 100);
  EXPECT_EQ(doc["shards"][0]["records_behind"], 10);
  EXPECT_EQ(doc["shards"][0]["seconds_behind"], 10.0);
  EXPECT_EQ(doc["records_behind"], 10);
  EXPECT_EQ(doc["status"], "OK");
  clock.advance(2500);  // seconds behind is computed when served
  doc = nlohmann::json::parse(*monitor.renderMapping("orders-archive"));
  EXPECT_EQ(doc["shards"][0]["seconds_behind"], 12.5);
  EXPECT_FALSE(monitor.renderMapping("nope"));
  EXPECT_EQ(nlohmann::json::parse(monitor.renderAll())["groups"].size(), 1u);
}

TEST_F(LagMonitorTest, StatusFollowsTheWindow) {
  LagMonitor monitor(configWith(3), kafka, directory(), clock);
  auto round = [&](std::int64_t committed, std::int64_t end) {
    kafka.committedOffsets["kbridge.orders-archive"]["kb.orders"][0] = committed;
    kafka.topics["kb.orders"][0].high = end;
    clock.advance(1000);
    monitor.evaluateOnce();
    return monitor.snapshot()[0];
  };
  EXPECT_EQ(round(90, 100).status, LagStatus::kOk);
  EXPECT_EQ(round(92, 105).status, LagStatus::kOk);  // not a full window yet
  auto g = round(94, 110);
  EXPECT_EQ(g.shards[0].status, LagStatus::kWarn);
  EXPECT_EQ(g.status, LagStatus::kWarn);
  round(94, 110);
  g = round(94, 110);
  EXPECT_EQ(g.shards[0].status, LagStatus::kStall);
  EXPECT_EQ(g.status, LagStatus::kErr);
  kafka.members["kbridge.orders-archive"] = 0;
  EXPECT_EQ(round(94, 110).shards[0].status, LagStatus::kStop);
  EXPECT_EQ(round(50, 110).shards[0].status, LagStatus::kRewind);
  EXPECT_EQ(round(110, 110).shards[0].status, LagStatus::kOk);
}

TEST_F(LagMonitorTest, PatternGroupsAreWatchedToo) {
  auto config = configWith(3);
  config->lag.groups = {"analytics-*"};
  kafka.committedOffsets["analytics-daily"]["kb.orders"] = {{0, 10}};
  kafka.committedOffsets["other"]["kb.orders"] = {{0, 10}};
  LagMonitor monitor(config, kafka, directory(), clock);
  monitor.evaluateOnce();
  auto groups = monitor.snapshot();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[1].target.group, "analytics-daily");
  EXPECT_EQ(groups[1].target.mapping, "");
  EXPECT_EQ(groups[1].target.stream, "orders");
  EXPECT_EQ(groups[1].shards[0].recordsBehind, 90);
  EXPECT_EQ(groups[1].shards[1].committed, -1);
}

TEST_F(LagMonitorTest, KafkaDownIsReportedPerGroup) {
  LagMonitor monitor(configWith(3), kafka, directory(), clock);
  kafka.unavailable = true;
  monitor.evaluateOnce();
  auto doc = nlohmann::json::parse(monitor.renderAll());
  ASSERT_EQ(doc["groups"].size(), 1u);
  EXPECT_TRUE(doc["groups"][0].contains("error"));
  EXPECT_TRUE(doc["groups"][0]["shards"].empty());
}

TEST_F(LagMonitorTest, GaugesFollowTheLatestRound) {
  MetricsRegistry registry;
  {
    LagMonitor monitor(configWith(3), kafka, directory(), clock);
    monitor.exportMetrics(registry);
    monitor.evaluateOnce();
    const auto text = registry.render();
    EXPECT_NE(text.find("kbridge_lag_records{group=\"kbridge.orders-archive\",mapping=\"orders-"
                        "archive\",shard=\"shardId-000000000000\",stream=\"orders\"} 10"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("kbridge_lag_seconds{"), std::string::npos);
    EXPECT_NE(text.find("kbridge_lag_status{"), std::string::npos);
    kafka.committedOffsets["kbridge.orders-archive"]["kb.orders"][0] = 100;
    monitor.evaluateOnce();
    EXPECT_NE(registry.render().find("shard=\"shardId-000000000000\",stream=\"orders\"} 0"),
              std::string::npos);
  }
  registry.render();  // the monitor's scrape hook is gone with it
}

TEST(GlobMatch, StarsAndQuestionMarks) {
  EXPECT_TRUE(globMatch("*", "anything"));
  EXPECT_TRUE(globMatch("analytics-*", "analytics-daily"));
  EXPECT_FALSE(globMatch("analytics-*", "xanalytics-daily"));
  EXPECT_TRUE(globMatch("a?c*z", "abcxyz"));
  EXPECT_FALSE(globMatch("a?c", "ac"));
  EXPECT_TRUE(globMatch("*.orders.*", "team.orders.v2"));
}

}  // namespace
}  // namespace kbridge::ops
