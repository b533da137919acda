#include "runtime/shard_pipeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace kbridge::runtime {
namespace {

Record rec(std::int64_t offset, std::string key = "k", std::int64_t arrivalMs = 0) {
  Record r;
  r.offset = offset;
  r.sequenceNumber = std::to_string(offset);
  r.partitionKey = std::move(key);
  r.data = "d" + std::to_string(offset);
  r.arrivalMs = arrivalMs;
  return r;
}

std::vector<std::int64_t> offsets(const PipelineTask& t) {
  std::vector<std::int64_t> out;
  for (const auto& r : t.records) out.push_back(r.offset);
  return out;
}

TEST(ShardPipeline, BatchesUpToBatchSizeAndCheckpointsAfterSuccess) {
  PipelineOptions o;
  o.batchSize = 3;
  ShardPipeline p(o, 10);
  EXPECT_EQ(p.checkpoint(), 10);
  for (int i = 10; i < 15; ++i) p.add(rec(i), 0);
  auto tasks = p.takeReady(0);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(offsets(tasks[0]), (std::vector<std::int64_t>{10, 11, 12}));
  EXPECT_TRUE(p.takeReady(0).empty()) << "one attempt per lane at a time";
  EXPECT_EQ(p.checkpoint(), 10);
  p.complete(0, DeliveryResult::ok(), 0);
  EXPECT_EQ(p.checkpoint(), 13);
  tasks = p.takeReady(0);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(offsets(tasks[0]), (std::vector<std::int64_t>{13, 14}));
  p.complete(0, DeliveryResult::ok(), 0);
  EXPECT_EQ(p.checkpoint(), 15);
  EXPECT_EQ(p.bufferedRecords(), 0u);
  EXPECT_EQ(p.bufferedBytes(), 0u);
}

TEST(ShardPipeline, BatchingWindowWaitsForAFullBatch) {
  PipelineOptions o;
  o.batchSize = 3;
  o.batchingWindowMs = 500;
  ShardPipeline p(o, 0);
  p.add(rec(0), 1000);
  p.add(rec(1), 1200);
  EXPECT_TRUE(p.takeReady(1400).empty());
  EXPECT_EQ(p.nextDeadline(), 1500);
  auto tasks = p.takeReady(1500);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].records.size(), 2u);
  p.complete(0, DeliveryResult::ok(), 1500);
  for (int i = 2; i < 5; ++i) p.add(rec(i), 1600);
  tasks = p.takeReady(1600);  // batch_size reached: no wait
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].records.size(), 3u);
}

TEST(ShardPipeline, BatchBytesAreCapped) {
  PipelineOptions o;
  o.batchSize = 100;
  o.maxBatchBytes = 10;
  ShardPipeline p(o, 0);
  for (int i = 0; i < 4; ++i) p.add(rec(i), 0);  // 3 bytes each ("k" + "dN")
  auto tasks = p.takeReady(0);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].records.size(), 3u);
}

TEST(ShardPipeline, RetriesWithExponentialBackoffThenDiscards) {
  PipelineOptions o;
  o.batchSize = 10;
  o.maxRetryAttempts = 2;
  o.backoffInitialMs = 100;
  ShardPipeline p(o, 0);
  p.add(rec(0), 0);
  p.add(rec(1), 0);
  std::int64_t now = 0;
  ASSERT_EQ(p.takeReady(now).size(), 1u);
  p.complete(0, DeliveryResult::failed("boom"), now);
  EXPECT_TRUE(p.takeReady(now + 99).empty());
  EXPECT_EQ(p.nextDeadline(), 100);
  now = 100;
  ASSERT_EQ(p.takeReady(now).size(), 1u);
  p.complete(0, DeliveryResult::retryLater("slow"), now);
  EXPECT_EQ(p.nextDeadline(), 300) << "second back-off doubles";
  now = 300;
  ASSERT_EQ(p.takeReady(now).size(), 1u);
  p.complete(0, DeliveryResult::failed("boom again"), now);
  auto tasks = p.takeReady(now);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].kind, PipelineTask::Kind::kDiscard);
  EXPECT_EQ(tasks[0].reason, DiscardReason::kRetryAttemptsExhausted);
  EXPECT_EQ(tasks[0].invokeCount, 3);
  EXPECT_EQ(tasks[0].lastError, "boom again");
  EXPECT_EQ(offsets(tasks[0]), (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(p.checkpoint(), 0) << "not past the records before the failure record is stored";
  p.completeDiscard(0, false, now);  // the destination is down: held, tried again later
  EXPECT_EQ(p.checkpoint(), 0);
  EXPECT_TRUE(p.takeReady(now).empty());
  now += 1000;
  tasks = p.takeReady(now);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].kind, PipelineTask::Kind::kDiscard);
  p.completeDiscard(0, true, now);
  EXPECT_EQ(p.checkpoint(), 2);
}

TEST(ShardPipeline, ZeroRetriesDiscardsAfterTheFirstFailure) {
  PipelineOptions o;
  o.maxRetryAttempts = 0;
  ShardPipeline p(o, 0);
  p.add(rec(0), 0);
  ASSERT_EQ(p.takeReady(0).size(), 1u);
  p.complete(0, DeliveryResult::failed("x"), 0);
  auto tasks = p.takeReady(0);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].kind, PipelineTask::Kind::kDiscard);
}

// Drives a pipeline with a handler that rejects any batch holding a poison offset.
struct Simulation {
  std::set<std::int64_t> poison;
  std::vector<std::int64_t> delivered;
  std::vector<std::vector<std::int64_t>> discarded;
  int invocations = 0;

  void run(ShardPipeline& p, std::int64_t& now, int maxSteps = 10000) {
    for (int step = 0; step < maxSteps; ++step) {
      auto tasks = p.takeReady(now);
      if (tasks.empty()) {
        auto next = p.nextDeadline();
        if (!next) return;
        now = std::max(now + 1, *next);
        continue;
      }
      for (auto& t : tasks) {
        if (t.kind == PipelineTask::Kind::kDiscard) {
          discarded.push_back(offsets(t));
          p.completeDiscard(t.lane, true, now);
          continue;
        }
        ++invocations;
        auto it = std::find_if(t.records.begin(), t.records.end(),
                               [&](const Record& r) { return poison.count(r.offset); });
        if (it == t.records.end()) {
          for (const auto& r : t.records) delivered.push_back(r.offset);
          p.complete(t.lane, DeliveryResult::ok(), now);
        } else {
          p.complete(t.lane, DeliveryResult::failed("poison"), now);
        }
      }
    }
  }
};

TEST(ShardPipeline, BisectIsolatesThePoisonRecordAndDeliversTheRestOnceInOrder) {
  PipelineOptions o;
  o.batchSize = 100;
  o.bisectOnError = true;
  o.maxRetryAttempts = 2;
  ShardPipeline p(o, 0);
  for (int i = 0; i < 100; ++i) p.add(rec(i), 0);
  Simulation sim;
  sim.poison = {37};
  std::int64_t now = 0;
  sim.run(p, now);
  std::vector<std::int64_t> expected;
  for (int i = 0; i < 100; ++i) {
    if (i != 37) expected.push_back(i);
  }
  EXPECT_EQ(sim.delivered, expected) << "each once, in order";
  ASSERT_EQ(sim.discarded.size(), 1u);
  EXPECT_EQ(sim.discarded[0], (std::vector<std::int64_t>{37}));
  EXPECT_EQ(p.checkpoint(), 100);
  // 1 + bisect levels (7 splits down to one record) + 2 retries of the poison record, plus the
  // successful halves: far fewer than delivering one by one.
  EXPECT_LT(sim.invocations, 30);
}

TEST(ShardPipeline, WithoutBisectTheWholeBatchIsGivenUp) {
  PipelineOptions o;
  o.batchSize = 10;
  o.maxRetryAttempts = 1;
  ShardPipeline p(o, 0);
  for (int i = 0; i < 15; ++i) p.add(rec(i), 0);
  Simulation sim;
  sim.poison = {3};
  std::int64_t now = 0;
  sim.run(p, now);
  ASSERT_EQ(sim.discarded.size(), 1u);
  EXPECT_EQ(sim.discarded[0].size(), 10u);
  EXPECT_EQ(sim.delivered, (std::vector<std::int64_t>{10, 11, 12, 13, 14}));
  EXPECT_EQ(p.checkpoint(), 15);
}

TEST(ShardPipeline, ReportBatchItemFailuresCheckpointsAtTheFirstFailedRecord) {
  PipelineOptions o;
  o.batchSize = 10;
  o.reportBatchItemFailures = true;
  ShardPipeline p(o, 0);
  for (int i = 0; i < 10; ++i) p.add(rec(i), 0);
  auto tasks = p.takeReady(0);
  ASSERT_EQ(tasks.size(), 1u);
  p.complete(0, DeliveryResult::failed("item 4 failed", 4), 0);
  EXPECT_EQ(p.checkpoint(), 4);
  tasks = p.takeReady(1000);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(offsets(tasks[0]), (std::vector<std::int64_t>{4, 5, 6, 7, 8, 9}));
  p.complete(0, DeliveryResult::ok(), 1000);
  EXPECT_EQ(p.checkpoint(), 10);
}

TEST(ShardPipeline, ItemFailuresAreIgnoredWhenTheMappingDoesNotReportThem) {
  PipelineOptions o;
  o.batchSize = 10;
  ShardPipeline p(o, 0);
  for (int i = 0; i < 10; ++i) p.add(rec(i), 0);
  ASSERT_EQ(p.takeReady(0).size(), 1u);
  p.complete(0, DeliveryResult::failed("item 4 failed", 4), 0);
  EXPECT_EQ(p.checkpoint(), 10) << "Lambda treats the invocation as a success";
}

TEST(ShardPipeline, ItemFailureAtTheFirstRecordIsAWholeBatchFailure) {
  PipelineOptions o;
  o.batchSize = 4;
  o.reportBatchItemFailures = true;
  o.bisectOnError = true;
  ShardPipeline p(o, 0);
  for (int i = 0; i < 4; ++i) p.add(rec(i), 0);
  ASSERT_EQ(p.takeReady(0).size(), 1u);
  p.complete(0, DeliveryResult::failed("first", 0), 0);
  auto tasks = p.takeReady(0);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(offsets(tasks[0]), (std::vector<std::int64_t>{0, 1})) << "bisected";
}

TEST(ShardPipeline, ExpiredRecordsAreGivenUpWithoutDelivery) {
  PipelineOptions o;
  o.batchSize = 10;
  o.maxRecordAgeMs = 60000;
  ShardPipeline p(o, 0);
  p.add(rec(0, "a", 1000), 100000);
  p.add(rec(1, "a", 2000), 100000);
  p.add(rec(2, "a", 90000), 100000);
  auto tasks = p.takeReady(100000);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].kind, PipelineTask::Kind::kDiscard);
  EXPECT_EQ(tasks[0].reason, DiscardReason::kRecordAgeExceeded);
  EXPECT_EQ(offsets(tasks[0]), (std::vector<std::int64_t>{0, 1}));
  p.completeDiscard(0, true, 100000);
  tasks = p.takeReady(100000);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].kind, PipelineTask::Kind::kDeliver);
  EXPECT_EQ(offsets(tasks[0]), (std::vector<std::int64_t>{2}));
}

TEST(ShardPipeline, RecordsExpireWhileBeingRetried) {
  PipelineOptions o;
  o.maxRecordAgeMs = 1000;
  o.backoffInitialMs = 300;
  ShardPipeline p(o, 0);
  p.add(rec(0, "a", 0), 0);
  Simulation sim;
  sim.poison = {0};
  std::int64_t now = 0;
  sim.run(p, now);
  ASSERT_EQ(sim.discarded.size(), 1u);
  EXPECT_EQ(p.checkpoint(), 1);
  EXPECT_LE(now, 1100) << "given up once the age passed, not after a full back-off";
}

TEST(ShardPipeline, LanesKeepPerKeyOrderAndNeverShareAKeyInFlight) {
  PipelineOptions o;
  o.batchSize = 5;
  o.lanes = 4;
  ShardPipeline p(o, 0);
  for (int i = 0; i < 200; ++i) p.add(rec(i, "key-" + std::to_string(i % 20)), 0);
  std::map<std::string, std::int64_t> lastByKey;
  std::set<std::string> inFlight;
  int maxParallel = 0;
  for (int round = 0; round < 200; ++round) {
    auto tasks = p.takeReady(0);
    if (tasks.empty()) break;
    maxParallel = std::max<int>(maxParallel, static_cast<int>(tasks.size()));
    std::set<std::string> keysThisRound;
    for (const auto& t : tasks) {
      std::set<std::string> keys;
      for (const auto& r : t.records) keys.insert(r.partitionKey);
      for (const auto& k : keys) EXPECT_TRUE(keysThisRound.insert(k).second) << k;
      for (const auto& r : t.records) {
        auto [it, fresh] = lastByKey.try_emplace(r.partitionKey, r.offset);
        if (!fresh) {
          EXPECT_LT(it->second, r.offset);
          it->second = r.offset;
        }
      }
    }
    // Complete in reverse order: lanes are independent.
    for (auto it = tasks.rbegin(); it != tasks.rend(); ++it) {
      p.complete(it->lane, DeliveryResult::ok(), 0);
    }
  }
  EXPECT_GT(maxParallel, 1);
  EXPECT_EQ(p.checkpoint(), 200);
}

TEST(ShardPipeline, CheckpointIsTheLowestOffsetAnyLaneHolds) {
  PipelineOptions o;
  o.batchSize = 1;
  o.lanes = 2;
  ShardPipeline p(o, 0);
  // Find two keys in different lanes.
  std::string a = "a", b;
  for (int i = 0; b.empty(); ++i) {
    if (laneOf("b" + std::to_string(i), 2) != laneOf(a, 2)) b = "b" + std::to_string(i);
  }
  p.add(rec(0, a), 0);
  p.add(rec(1, b), 0);
  p.skip(2);  // filtered out
  auto tasks = p.takeReady(0);
  ASSERT_EQ(tasks.size(), 2u);
  const int laneB = laneOf(b, 2);
  p.complete(laneB, DeliveryResult::ok(), 0);
  EXPECT_EQ(p.checkpoint(), 0) << "offset 0 is still out";
  p.complete(laneOf(a, 2), DeliveryResult::ok(), 0);
  EXPECT_EQ(p.checkpoint(), 3) << "filtered records advance the checkpoint";
}

TEST(ShardPipeline, UnknownStartHasNoCheckpointUntilTheFirstRecord) {
  ShardPipeline p(PipelineOptions{}, -1);
  EXPECT_EQ(p.checkpoint(), -1);
  p.skip(41);
  EXPECT_EQ(p.checkpoint(), 42);
}

}  // namespace
}  // namespace kbridge::runtime
