#pragma once
// The shared record producer (DESIGN.md §4): one idempotent, acks=all librdkafka producer for the
// whole process. produce() never blocks: it enqueues a batch and calls `done` once every record of
// it has a delivery report (acknowledged by all in-sync replicas, or failed), from the producer's
// poll thread. A full local queue fails the affected records at once with kQueueFull, which the
// Kinesis layer answers as throttling: back-pressure instead of unbounded growth.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kafka/errors.h"

namespace kbridge::config {
struct KafkaConfig;
}

namespace kbridge::kafka {

struct OutgoingRecord {
  std::string topic;
  std::int32_t partition = 0;
  std::string key;
  std::string value;
  std::optional<std::string> explicitHashKey;  // carried as a record header
};

struct DeliveryResult {
  std::optional<KafkaError> error;  // nullopt = acknowledged
  std::int64_t offset = -1;
};

using DeliveryCallback = std::function<void(std::vector<DeliveryResult>)>;

class RecordProducer {
 public:
  virtual ~RecordProducer() = default;
  virtual void produce(std::vector<OutgoingRecord> records, DeliveryCallback done) = 0;
  // Records waiting in the local queue or in flight (for metrics and tests).
  virtual int queueDepth() const = 0;
  // Waits up to `timeout` until every produced record has its delivery report.
  virtual void flush(std::chrono::milliseconds timeout) = 0;
};

// Header name for the ExplicitHashKey of a record.
inline constexpr const char* kExplicitHashKeyHeader = "kinesis.explicit_hash_key";

std::unique_ptr<RecordProducer> makeRdKafkaProducer(const config::KafkaConfig& config);

}  // namespace kbridge::kafka
