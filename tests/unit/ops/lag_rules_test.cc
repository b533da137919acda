// The lag status rules (ops/lag_rules.h), one test per rule, with made-up samples.

#include "ops/lag_rules.h"

#include <gtest/gtest.h>

namespace kbridge::ops {
namespace {

constexpr std::size_t kWindow = 5;

// Samples one second apart from (committed, end) pairs.
std::deque<LagSample> samples(std::vector<std::pair<std::int64_t, std::int64_t>> points,
                              bool members = true) {
  std::deque<LagSample> out;
  std::int64_t t = 1000;
  for (auto [committed, end] : points) out.push_back(LagSample{t += 1000, committed, end, members});
  return out;
}

TEST(LagRules, NoHistoryNoCommitOrNoLagIsOk) {
  EXPECT_EQ(evaluateShard({}, kWindow), LagStatus::kOk);
  EXPECT_EQ(
      evaluateShard(samples({{-1, 100}, {-1, 100}, {-1, 100}, {-1, 100}, {-1, 100}}), kWindow),
      LagStatus::kOk);
  // Stuck for the whole window but caught up at the end: OK.
  EXPECT_EQ(evaluateShard(samples({{10, 20}, {10, 20}, {10, 20}, {10, 20}, {20, 20}}), kWindow),
            LagStatus::kOk);
}

TEST(LagRules, NotEnoughSamplesIsOkUnlessRewound) {
  EXPECT_EQ(evaluateShard(samples({{10, 20}, {10, 25}, {10, 30}}), kWindow), LagStatus::kOk);
  EXPECT_EQ(evaluateShard(samples({{10, 20}, {5, 25}}), kWindow), LagStatus::kRewind);
}

TEST(LagRules, CommittedOffsetGoingBackIsRewind) {
  EXPECT_EQ(evaluateShard(samples({{10, 50}, {20, 50}, {30, 50}, {5, 50}, {6, 50}}), kWindow),
            LagStatus::kRewind);
}

TEST(LagRules, RewindOutsideTheWindowIsForgotten) {
  auto s = samples({{30, 50}, {5, 50}, {6, 50}, {7, 51}, {9, 51}, {9, 51}, {10, 51}});
  EXPECT_EQ(evaluateShard(s, kWindow), LagStatus::kOk);
}

TEST(LagRules, ALagFreeSampleInTheWindowIsOk) {
  EXPECT_EQ(evaluateShard(samples({{10, 20}, {20, 20}, {20, 30}, {20, 40}, {20, 50}}), kWindow),
            LagStatus::kOk);
}

TEST(LagRules, CommitsNotMovingWithMembersIsStall) {
  EXPECT_EQ(evaluateShard(samples({{10, 20}, {10, 20}, {10, 21}, {10, 25}, {10, 25}}), kWindow),
            LagStatus::kStall);
}

TEST(LagRules, CommitsNotMovingWithoutMembersIsStop) {
  EXPECT_EQ(
      evaluateShard(samples({{10, 20}, {10, 20}, {10, 21}, {10, 25}, {10, 25}}, false), kWindow),
      LagStatus::kStop);
}

TEST(LagRules, LagGrowingWhileCommitsMoveIsWarn) {
  EXPECT_EQ(evaluateShard(samples({{10, 20}, {12, 25}, {14, 30}, {15, 31}, {17, 40}}), kWindow),
            LagStatus::kWarn);
  // Equal steps count as "never fell", but the lag must have grown overall.
  EXPECT_EQ(evaluateShard(samples({{10, 20}, {12, 22}, {14, 24}, {16, 26}, {18, 28}}), kWindow),
            LagStatus::kOk);
}

TEST(LagRules, LagThatFellSomewhereIsOk) {
  EXPECT_EQ(evaluateShard(samples({{10, 20}, {12, 25}, {20, 25}, {21, 31}, {22, 40}}), kWindow),
            LagStatus::kOk);
}

TEST(LagRules, OnlyTheNewestWindowCounts) {
  // Stalled long ago, moving and shrinking now.
  auto s = samples({{10, 50},
                    {10, 50},
                    {10, 50},
                    {10, 50},
                    {10, 50},
                    {20, 50},
                    {30, 50},
                    {40, 50},
                    {45, 50},
                    {48, 50}});
  EXPECT_EQ(evaluateShard(s, kWindow), LagStatus::kOk);
}

TEST(LagRules, GroupStatusIsTheWorstShard) {
  EXPECT_EQ(evaluateGroup({}), LagStatus::kOk);
  EXPECT_EQ(evaluateGroup({LagStatus::kOk, LagStatus::kOk}), LagStatus::kOk);
  EXPECT_EQ(evaluateGroup({LagStatus::kOk, LagStatus::kWarn}), LagStatus::kWarn);
  EXPECT_EQ(evaluateGroup({LagStatus::kWarn, LagStatus::kStall}), LagStatus::kErr);
  EXPECT_EQ(evaluateGroup({LagStatus::kStop}), LagStatus::kErr);
  EXPECT_EQ(evaluateGroup({LagStatus::kRewind, LagStatus::kOk}), LagStatus::kErr);
}

TEST(LagRules, Names) {
  EXPECT_EQ(lagStatusName(LagStatus::kOk), "OK");
  EXPECT_EQ(lagStatusName(LagStatus::kWarn), "WARN");
  EXPECT_EQ(lagStatusName(LagStatus::kStall), "STALL");
  EXPECT_EQ(lagStatusName(LagStatus::kStop), "STOP");
  EXPECT_EQ(lagStatusName(LagStatus::kRewind), "REWIND");
  EXPECT_EQ(lagStatusName(LagStatus::kErr), "ERR");
}

}  // namespace
}  // namespace kbridge::ops
