#include "kafka/send_gate.h"

#include <gtest/gtest.h>

namespace kbridge::kafka {
namespace {

using Gate = SendGate<int>;

constexpr std::size_t kParallel = 1000;
constexpr std::size_t kNoBudget = 1 << 30;

Gate::Next offer(Gate& gate, std::vector<int> items, std::size_t bytes, std::int32_t p = 0) {
  return gate.offer("t", p, std::move(items), bytes);
}

// Ends `send` as the producer does: every record reported.
Gate::Next finish(Gate& gate, Gate::Send* send, std::size_t records, bool timedOut = false) {
  EXPECT_TRUE(gate.delivered(send, records, timedOut));
  return gate.finish(send);
}

TEST(SendGateTest, AnIdlePartitionSendsAtOnce) {
  Gate gate(5, kParallel, kNoBudget);
  auto next = offer(gate, {1, 2}, 10);
  ASSERT_NE(next.send, nullptr);
  EXPECT_EQ(next.items, (std::vector<int>{1, 2}));
  EXPECT_EQ(gate.held(), 0u);
  EXPECT_FALSE(gate.delivered(next.send, 1, false));
  EXPECT_TRUE(gate.delivered(next.send, 1, false));
  auto after = gate.finish(next.send);
  EXPECT_EQ(after.send, nullptr);
  EXPECT_TRUE(after.items.empty());
}

TEST(SendGateTest, SmallRecordsWaitForTheSendInFlightAndGoTogetherInOrder) {
  Gate gate(5, kParallel, kNoBudget);
  auto first = offer(gate, {1}, 100);
  ASSERT_NE(first.send, nullptr);
  for (int i = 2; i <= 4; ++i) {
    auto held = offer(gate, {i}, 100);
    EXPECT_EQ(held.send, nullptr);
    EXPECT_TRUE(held.items.empty());
  }
  EXPECT_EQ(gate.held(), 3u);
  auto next = finish(gate, first.send, 1);
  ASSERT_NE(next.send, nullptr);
  EXPECT_EQ(next.topic, "t");
  EXPECT_EQ(next.partition, 0);
  EXPECT_EQ(next.items, (std::vector<int>{2, 3, 4}));
  EXPECT_EQ(gate.held(), 0u);
  EXPECT_TRUE(finish(gate, next.send, 3).items.empty());
}

TEST(SendGateTest, LargeBatchesGoInParallelUpToTheLimit) {
  Gate gate(3, kParallel, kNoBudget);
  std::vector<Gate::Send*> sends;
  for (int i = 0; i < 3; ++i) {
    auto next = offer(gate, {i}, kParallel);
    ASSERT_NE(next.send, nullptr) << i;
    sends.push_back(next.send);
  }
  auto held = offer(gate, {3}, kParallel);  // the limit: held
  EXPECT_EQ(held.send, nullptr);
  EXPECT_EQ(gate.held(), 1u);
  auto next = finish(gate, sends[0], 1);
  ASSERT_NE(next.send, nullptr);
  EXPECT_EQ(next.items, (std::vector<int>{3}));
  finish(gate, sends[1], 1);
  finish(gate, sends[2], 1);
  finish(gate, next.send, 1);
}

TEST(SendGateTest, ALargeBatchDoesNotOvertakeHeldRecords) {
  Gate gate(5, kParallel, kNoBudget);
  auto first = offer(gate, {1}, 10);
  EXPECT_EQ(offer(gate, {2}, 10).send, nullptr);
  // Large, and a send is free: it goes, but only behind record 2, and together with it.
  auto next = offer(gate, {3, 4}, kParallel);
  ASSERT_NE(next.send, nullptr);
  EXPECT_EQ(next.items, (std::vector<int>{2, 3, 4}));
  EXPECT_EQ(gate.held(), 0u);
  finish(gate, first.send, 1);
  finish(gate, next.send, 3);
}

TEST(SendGateTest, HeldRecordsGoOnceTheyAddUpToTheParallelSize) {
  Gate gate(5, kParallel, kNoBudget);
  auto first = offer(gate, {1}, 10);
  EXPECT_EQ(offer(gate, {2}, kParallel / 2).send, nullptr);
  auto next = offer(gate, {3}, kParallel / 2);
  ASSERT_NE(next.send, nullptr);
  EXPECT_EQ(next.items, (std::vector<int>{2, 3}));
  finish(gate, first.send, 1);
  finish(gate, next.send, 2);
}

TEST(SendGateTest, OnlyASendThatFindsItsPartitionIdleIsAlone) {
  Gate gate(5, kParallel, kNoBudget);
  auto first = offer(gate, {1}, kParallel);
  ASSERT_NE(first.send, nullptr);
  EXPECT_TRUE(first.alone);
  auto parallel = offer(gate, {2}, kParallel);  // large: goes beside the first
  ASSERT_NE(parallel.send, nullptr);
  EXPECT_FALSE(parallel.alone);
  EXPECT_EQ(offer(gate, {3}, 10).send, nullptr);  // small: held
  // The held record goes when a send ends, while the other is still in flight.
  auto behindOne = finish(gate, first.send, 1);
  ASSERT_NE(behindOne.send, nullptr);
  EXPECT_FALSE(behindOne.alone);
  EXPECT_TRUE(finish(gate, parallel.send, 1).items.empty());
  // Held records handed over by the partition's last send find it idle.
  EXPECT_EQ(offer(gate, {4}, 10).send, nullptr);
  auto last = finish(gate, behindOne.send, 1);
  ASSERT_NE(last.send, nullptr);
  EXPECT_EQ(last.items, (std::vector<int>{4}));
  EXPECT_TRUE(last.alone);
  EXPECT_TRUE(finish(gate, last.send, 1).items.empty());
}

TEST(SendGateTest, PartitionsAreIndependent) {
  Gate gate(5, kParallel, kNoBudget);
  auto a = gate.offer("t", 0, {1}, 10);
  auto b = gate.offer("t", 1, {2}, 10);
  auto c = gate.offer("u", 0, {3}, 10);
  EXPECT_NE(a.send, nullptr);
  EXPECT_NE(b.send, nullptr);
  EXPECT_NE(c.send, nullptr);
  EXPECT_EQ(gate.offer("t", 1, {4}, 10).send, nullptr);
  EXPECT_TRUE(finish(gate, a.send, 1).items.empty());
  auto next = finish(gate, b.send, 1);
  EXPECT_EQ(next.partition, 1);
  EXPECT_EQ(next.items, (std::vector<int>{4}));
  finish(gate, c.send, 1);
  finish(gate, next.send, 1);
}

TEST(SendGateTest, ATimedOutSendHandsBackItsHeldRecordsWithoutASend) {
  Gate gate(5, kParallel, kNoBudget);
  auto first = offer(gate, {1, 2}, 10);
  EXPECT_EQ(offer(gate, {3}, 10).send, nullptr);
  EXPECT_FALSE(gate.delivered(first.send, 1, /*timedOut=*/true));
  auto next = finish(gate, first.send, 1);
  EXPECT_EQ(next.send, nullptr);
  EXPECT_EQ(next.items, (std::vector<int>{3}));
  EXPECT_EQ(gate.held(), 0u);
  // The partition is idle again: the next record goes at once.
  auto again = offer(gate, {4}, 10);
  ASSERT_NE(again.send, nullptr);
  finish(gate, again.send, 1);
}

TEST(SendGateTest, RecordsBeyondTheHoldingBudgetAreRefused) {
  Gate gate(5, kParallel, 100);
  auto first = offer(gate, {1}, 500);  // sent at once: not held, not counted
  ASSERT_NE(first.send, nullptr);
  EXPECT_EQ(offer(gate, {2}, 60).send, nullptr);
  auto refused = offer(gate, {3}, 60);
  EXPECT_EQ(refused.send, nullptr);
  EXPECT_TRUE(refused.refused);
  EXPECT_EQ(refused.items, (std::vector<int>{3}));
  EXPECT_EQ(gate.held(), 1u);
  EXPECT_TRUE(offer(gate, {4}, 40).items.empty());  // fits: held
  auto next = finish(gate, first.send, 1);
  ASSERT_NE(next.send, nullptr);
  EXPECT_FALSE(next.refused);
  EXPECT_EQ(next.items, (std::vector<int>{2, 4}));
  // The budget is free again.
  auto held = offer(gate, {5}, 100);
  EXPECT_TRUE(held.items.empty());
  EXPECT_FALSE(held.refused);
  auto last = finish(gate, next.send, 2);
  ASSERT_NE(last.send, nullptr);
  finish(gate, last.send, 1);
}

TEST(SendGateTest, ALimitBelowOneMeansOne) {
  Gate gate(0, 0, kNoBudget);
  auto first = offer(gate, {1}, 10);
  ASSERT_NE(first.send, nullptr);
  EXPECT_EQ(offer(gate, {2}, 10).send, nullptr);
  auto next = finish(gate, first.send, 1);
  ASSERT_NE(next.send, nullptr);
  finish(gate, next.send, 1);
}

}  // namespace
}  // namespace kbridge::kafka
