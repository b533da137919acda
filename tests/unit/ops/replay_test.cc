// The replay planner (ops/replay.h): positions, clamping, validation of sequence numbers and
// shards, and the refusal to move a live group.

#include "ops/replay.h"

#include <gtest/gtest.h>

#include "ops/fake_group_offsets.h"

namespace kbridge::ops {
namespace {

const StreamInfo kStream{"orders", "kb.orders", 1700000000000, 2};

std::vector<ShardOffsets> shards() {
  return {{0, 80, 10, 100}, {1, 40, 0, 40}};
}

ReplayPlan plan(const std::string& position, const kafka::OffsetMap& forTime = {}) {
  auto parsed = parseReplayPosition(position);
  EXPECT_TRUE(parsed) << parsed.error();
  auto p = planReplay(*parsed, kStream, "g", shards(), forTime);
  EXPECT_TRUE(p) << p.error();
  return *p;
}

TEST(ReplayPosition, ParsesEveryForm) {
  EXPECT_EQ(parseReplayPosition("trim-horizon")->kind, ReplayPosition::Kind::kTrimHorizon);
  EXPECT_EQ(parseReplayPosition("latest")->kind, ReplayPosition::Kind::kLatest);
  auto ts = parseReplayPosition("timestamp:2026-11-22T10:00:00Z");
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->timestampMs, 1795341600000);
  streams::SequenceNumber seq{1700000000000, 1, 7};
  EXPECT_EQ(parseReplayPosition("sequence:" + seq.toString())->sequence, seq);
  auto offsets = parseReplayPosition("offset:0=5,shardId-000000000001=9");
  ASSERT_TRUE(offsets);
  EXPECT_EQ(offsets->offsets, (std::map<std::int32_t, std::int64_t>{{0, 5}, {1, 9}}));
  for (const char* bad : {"", "earliest", "timestamp:yesterday", "sequence:x",
                          "offset:", "offset:0", "offset:0=-1", "offset:a=1", "offset:0=1,0=2"}) {
    EXPECT_FALSE(parseReplayPosition(bad)) << bad;
  }
}

TEST(ReplayPlanner, TrimHorizonRedeliversEverythingRetained) {
  auto p = plan("trim-horizon");
  ASSERT_EQ(p.shards.size(), 2u);
  EXPECT_EQ(p.shards[0].current, 80);
  EXPECT_EQ(p.shards[0].target, 10);
  EXPECT_EQ(p.shards[0].redeliver, 70);
  EXPECT_EQ(p.shards[1].target, 0);
  EXPECT_EQ(p.shards[1].redeliver, 40);
  EXPECT_TRUE(p.changesAnything());
}

TEST(ReplayPlanner, LatestSkips) {
  auto p = plan("latest");
  EXPECT_EQ(p.shards[0].target, 100);
  EXPECT_EQ(p.shards[0].skip, 20);
  EXPECT_EQ(p.shards[1].target, 40);
  EXPECT_FALSE(p.shards[1].changes());
}

TEST(ReplayPlanner, TimestampUsesKafkasOffsets) {
  auto p = plan("timestamp:2026-11-22T10:00:00Z", {{0, 50}, {1, 40}});
  EXPECT_EQ(p.shards[0].target, 50);
  EXPECT_EQ(p.shards[0].redeliver, 30);
  EXPECT_FALSE(p.shards[1].changes());
}

TEST(ReplayPlanner, SequenceMovesOnlyItsShard) {
  auto p = plan("sequence:" + streams::SequenceNumber{1700000000000, 0, 60}.toString());
  EXPECT_EQ(p.shards[0].target, 60);
  EXPECT_EQ(p.shards[0].redeliver, 20);
  EXPECT_EQ(p.shards[1].target, -1);
  EXPECT_EQ(p.shards[1].note, "unchanged");
}

TEST(ReplayPlanner, SequenceOfAnotherGenerationOrShardIsAnError) {
  auto other =
      parseReplayPosition("sequence:" + streams::SequenceNumber{1600000000000, 0, 60}.toString());
  auto r = planReplay(*other, kStream, "g", shards(), {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("another generation"), std::string::npos) << r.error();
  auto shard =
      parseReplayPosition("sequence:" + streams::SequenceNumber{1700000000000, 5, 60}.toString());
  r = planReplay(*shard, kStream, "g", shards(), {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("shardId-000000000005"), std::string::npos) << r.error();
  r = planReplay(*parseReplayPosition("offset:2=1"), kStream, "g", shards(), {});
  EXPECT_FALSE(r);
}

TEST(ReplayPlanner, OffsetsClampToTheRetainedRange) {
  auto p = plan("offset:0=3,1=400");
  EXPECT_EQ(p.shards[0].target, 10);
  EXPECT_NE(p.shards[0].note.find("clamped to 10"), std::string::npos);
  EXPECT_EQ(p.shards[1].target, 40);
  EXPECT_NE(p.shards[1].note.find("clamped to 40"), std::string::npos);
  const auto table = renderPlanTable(p);
  EXPECT_NE(table.find("shardId-000000000000"), std::string::npos) << table;
  EXPECT_EQ(toJson(p)["shards"][0]["new_offset"], 10);
}

TEST(ReplayPlanner, NoCheckpointYet) {
  std::vector<ShardOffsets> s{{0, -1, 0, 10}};
  auto r = planReplay(*parseReplayPosition("trim-horizon"), StreamInfo{"s", "t", 1, 1}, "g", s, {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->shards[0].target, 0);
  EXPECT_TRUE(r->shards[0].changes());
  EXPECT_EQ(r->shards[0].note, "no checkpoint yet");
}

TEST(ReplayExecute, RefusesWhileTheGroupHasMembersThenApplies) {
  testing::FakeGroupOffsets kafka;
  kafka.topics["kb.orders"] = {{10, 100, {}}, {0, 40, {}}};
  kafka.committedOffsets["g"]["kb.orders"] = {{0, 80}, {1, 40}};
  kafka.members["g"] = 2;
  auto p = planReplayFromKafka(kafka, *parseReplayPosition("trim-horizon"), kStream, "g");
  ASSERT_TRUE(p) << p.error();
  auto refused = executeReplay(kafka, *p);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("2 active member(s)"), std::string::npos) << refused.error();
  EXPECT_NE(refused.error().find("replay --mapping M"), std::string::npos);
  EXPECT_EQ(kafka.alterCalls, 0);
  kafka.members["g"] = 0;
  auto done = executeReplay(kafka, *p);
  ASSERT_TRUE(done) << done.error();
  EXPECT_TRUE(*done);
  EXPECT_EQ(kafka.committedOffsets["g"]["kb.orders"], (kafka::OffsetMap{{0, 10}, {1, 0}}));
}

}  // namespace
}  // namespace kbridge::ops
