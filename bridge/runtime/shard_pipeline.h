#pragma once
// What one shard of a mapping has read and not yet finished with, and the rules that decide what
// to hand the handler next (DESIGN.md §6; Lambda's Kinesis event source mapping is the model).
//
// Records are spread over `parallelization_factor` lanes by partition key, so batches that share
// a key never overlap and per-key order holds. Each lane works on one attempt at a time: a batch
// of up to batch_size records (and 6 MiB), formed once batch_size records are waiting or the
// batching window has passed. A failed attempt is retried with exponential back-off, or — with
// bisect_on_error — split in two, each half retried in order without using up retries; when
// retries or max_record_age_s run out the attempt's records become a discard (the worker sends a
// failure record to on_failure) and the lane moves on. The checkpoint is the lowest offset any
// lane still holds, or the next offset to read when none holds any.
//
// A plain state machine: no threads, no clock of its own (every call takes `now`), no Kafka. The
// mapping worker guards it with its mutex and runs the tasks it hands out.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "runtime/handler.h"

namespace kbridge::runtime {

struct PipelineOptions {
  int batchSize = 100;
  std::int64_t batchingWindowMs = 0;
  std::size_t maxBatchBytes = 6 * 1024 * 1024;  // Lambda's invocation payload limit
  int lanes = 1;                                // parallelization_factor
  bool bisectOnError = false;
  int maxRetryAttempts = -1;         // -1 = unlimited
  std::int64_t maxRecordAgeMs = -1;  // -1 = never
  bool reportBatchItemFailures = false;
  std::int64_t backoffInitialMs = 100;
  std::int64_t backoffMaxMs = 30000;
};

// Why records were given up on (Lambda's failure-record "condition").
enum class DiscardReason { kRetryAttemptsExhausted, kRecordAgeExceeded };
const char* discardReasonName(DiscardReason reason);

struct PipelineTask {
  enum class Kind { kDeliver, kDiscard };
  Kind kind = Kind::kDeliver;
  int lane = 0;
  std::vector<Record> records;  // a copy: the lane keeps its own until the task completes
  // With kDiscard:
  DiscardReason reason = DiscardReason::kRetryAttemptsExhausted;
  std::string lastError;
  int invokeCount = 0;  // deliveries attempted for these records (approximateInvokeCount)
};

class ShardPipeline {
 public:
  // `nextOffset`: where reading starts (-1 when unknown until the first record).
  ShardPipeline(const PipelineOptions& options, std::int64_t nextOffset);

  // A record read from the shard, in offset order.
  void add(Record record, std::int64_t nowMs);
  // A record read and filtered out: it only moves the checkpoint.
  void skip(std::int64_t offset);

  // The tasks that can start now; their lanes are busy until complete()/completeDiscard().
  std::vector<PipelineTask> takeReady(std::int64_t nowMs);
  void complete(int lane, const DeliveryResult& result, std::int64_t nowMs);
  // `sent` = the failure record is stored (or no destination is configured).
  void completeDiscard(int lane, bool sent, std::int64_t nowMs);

  // The offset to commit: nothing below it is still owed to the handler. -1 = nothing known yet.
  std::int64_t checkpoint() const;
  // When takeReady() may next have something (a window or back-off ending); nullopt = on add().
  std::optional<std::int64_t> nextDeadline() const;
  bool busy() const;  // some task is out
  std::size_t bufferedRecords() const { return bufferedRecords_; }
  std::size_t bufferedBytes() const { return bufferedBytes_; }

  // Running totals, for metrics: failed attempts scheduled again, and attempts split in two.
  struct Stats {
    std::uint64_t retries = 0;
    std::uint64_t bisects = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Entry {
    Record record;
    std::int64_t receivedMs = 0;
  };
  struct Lane {
    std::deque<Entry> queue;
    bool busy = false;
    std::size_t attempt = 0;          // records in the task out (deliver or discard)
    std::int64_t notBeforeMs = 0;     // back-off
    std::vector<std::size_t> splits;  // bisect stack; back() = size of the current attempt
    int retries = 0;
    int invokeCount = 0;
    std::string lastError;
    std::size_t discard = 0;  // leading records to give up on
    DiscardReason discardReason = DiscardReason::kRetryAttemptsExhausted;
    bool discardIsSplit = false;  // the discard is the bisect stack's current attempt
  };

  std::optional<PipelineTask> readyTask(int index, Lane& lane, std::int64_t nowMs);
  // Size of the next attempt and whether it may wait for the batching window.
  std::size_t attemptSize(const Lane& lane, bool* full) const;
  void retryOrDiscard(Lane& lane, std::size_t size, std::int64_t nowMs);
  void pop(Lane& lane, std::size_t count);
  std::int64_t backoff(int retries) const;

  PipelineOptions options_;
  std::vector<Lane> lanes_;
  std::int64_t nextOffset_;
  std::size_t bufferedRecords_ = 0;
  std::size_t bufferedBytes_ = 0;
  Stats stats_;
};

// The lane of a partition key: stable for the process (FNV-1a), spreads keys evenly.
int laneOf(std::string_view partitionKey, int lanes);

}  // namespace kbridge::runtime
