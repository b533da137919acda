#pragma once
// The Handler contract (DESIGN.md §6): what a mapping's worker hands its batches to. fluent-bit's
// output plug-ins are the model: a handler delivers and reports an outcome; the runtime owns
// retries, back-off, bisecting, the on-failure destination and the checkpoint commits.
//
// Lifecycle: built from validated settings (handlers/registry.h), open() once before the first
// batch, deliver() any number of times, flush() at graceful shutdown, close() last.
// Threading: deliver() is called concurrently from several worker threads (different shards, and
// different partition-key lanes of one shard when parallelization_factor > 1), never twice at once
// for the same lane. durableOffset() and release() may be called from the mapping's poll thread
// while deliveries run. A handler protects its own shared state.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace kbridge::ops {
class MetricsRegistry;
}

namespace kbridge::runtime {

// One Kinesis record as a handler sees it (Lambda's event record, decoded).
struct Record {
  std::int64_t offset = 0;     // Kafka offset within the shard's partition
  std::string sequenceNumber;  // Kinesis sequence number (decimal)
  std::string partitionKey;    // Kafka key
  std::string data;            // Kafka value: the record's bytes, not base64
  std::int64_t arrivalMs = 0;  // Kafka timestamp = ApproximateArrivalTimestamp
};

// Where a mapping's records come from; fixed for the handler's lifetime.
struct HandlerContext {
  std::string mappingName;
  std::string streamName;
  std::string streamArn;
  std::string region;
  std::string accountId;
  const Clock* clock = nullptr;
  // The process's Prometheus registry, for handlers that export metrics (the `metrics` handler);
  // nullptr when the process has none (tests). Outlives the handler.
  ops::MetricsRegistry* metrics = nullptr;
};

struct Batch {
  std::string_view shardId;    // "shardId-000000000003"
  std::int32_t partition = 0;  // the shard's Kafka partition
  std::span<const Record> records;
};

enum class Outcome {
  kOk,          // every record is delivered (and, for synchronous handlers, durable)
  kRetryLater,  // transient trouble (a timeout, a 503): retry the same batch after back-off
  kFailed,      // the handler rejected the batch: retry, bisect, then on_failure
};

struct DeliveryResult {
  Outcome outcome = Outcome::kOk;
  // With kFailed: the index of the first record that failed when the handler knows that records
  // before it were delivered (Lambda's ReportBatchItemFailures). nullopt = the whole batch failed.
  std::optional<std::size_t> firstFailed;
  std::string error;  // a short reason, for logs and the failure record

  static DeliveryResult ok() { return {}; }
  static DeliveryResult retryLater(std::string why) {
    return {Outcome::kRetryLater, std::nullopt, std::move(why)};
  }
  static DeliveryResult failed(std::string why, std::optional<std::size_t> first = std::nullopt) {
    return {Outcome::kFailed, first, std::move(why)};
  }
};

class Handler {
 public:
  virtual ~Handler() = default;

  // Called once before any delivery; an error keeps the mapping from starting (and is logged).
  virtual std::string open(const HandlerContext& context) = 0;  // "" = ok, else the reason

  virtual DeliveryResult deliver(const Batch& batch) = 0;

  // The first offset of `partition` that the handler has accepted but not yet made durable, or
  // nullopt when everything it accepted is durable. Synchronous handlers keep the default; a
  // buffering handler (archive) answers the first offset of its oldest unpublished buffer. The
  // runtime never commits past it.
  virtual std::optional<std::int64_t> durableOffset(std::int32_t partition) {
    (void)partition;
    return std::nullopt;
  }

  // The runtime no longer owns `partition` (rebalance): drop whatever is not durable; another
  // owner re-reads it from the checkpoint.
  virtual void release(std::int32_t partition) { (void)partition; }

  // Graceful shutdown: make buffered records durable if that can be done quickly.
  virtual void flush() {}

  // Shutdown after the grace period: deliveries still running should give up soon (their
  // records stay uncommitted and are delivered again later). Called from the poll thread while
  // deliver() may be running; must be thread-safe. The default does nothing: such a handler's
  // own timeouts bound the shutdown.
  virtual void cancel() {}

  virtual void close() {}
};

}  // namespace kbridge::runtime
