#pragma once
// A member of a Kafka consumer group reading one topic (DESIGN.md §6): the checkpoint of an event
// source mapping is its group's committed offsets, so kafka-consumer-groups, Burrow or KMinion see
// exactly what kbridge will resume from.
//
// Lifecycle: created by a mapping's worker, polled only from that worker's thread, closed by it.
// Rebalance callbacks run inside poll() (and close()) on that same thread: onRevoked must finish
// or abandon what it has in flight for those partitions and commit before returning, so the next
// owner starts exactly at the committed offsets. Partitions without a committed offset start at
// the configured position, which is committed at once, so a member that dies before its first
// commit hands over the same starting point.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kafka/errors.h"

namespace kbridge::config {
struct KafkaConfig;
}

namespace kbridge::kafka {

struct ConsumedRecord {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string value;
  std::int64_t timestampMs = 0;
};

enum class StartFrom { kEarliest, kLatest, kTimestamp };

struct GroupConsumerOptions {
  std::string groupId;
  std::string topic;
  std::string clientId = "kbridge";
  StartFrom startFrom = StartFrom::kLatest;
  std::int64_t startTimestampMs = 0;  // with kTimestamp
};

using PartitionOffsets = std::vector<std::pair<std::int32_t, std::int64_t>>;

class GroupRebalanceListener {
 public:
  virtual ~GroupRebalanceListener() = default;
  // The partitions now owned, each with the offset its first record will have.
  virtual void onAssigned(const PartitionOffsets& partitions) = 0;
  // The partitions about to go: stop work on them and commit before returning.
  virtual void onRevoked(const std::vector<std::int32_t>& partitions) = 0;
};

class GroupConsumer {
 public:
  virtual ~GroupConsumer() = default;
  // Up to `maxRecords` records, waiting up to `timeout` for the first one. Rebalance callbacks
  // run in here. Transient broker trouble is logged by librdkafka and returns no records.
  virtual KafkaResult<std::vector<ConsumedRecord>> poll(std::chrono::milliseconds timeout,
                                                        std::size_t maxRecords) = 0;
  // Commits (synchronously) the next offset to read for each partition.
  virtual KafkaStatus commit(const PartitionOffsets& offsets) = 0;
  // Stop/start fetching (back-pressure); records already returned are unaffected.
  virtual void pause(const std::vector<std::int32_t>& partitions) = 0;
  virtual void resume(const std::vector<std::int32_t>& partitions) = 0;
  // Leaves the group (running onRevoked for what is owned). Idempotent.
  virtual void close() = 0;
};

// Throws std::runtime_error when the client cannot be created (bad kafka.rdkafka settings).
std::unique_ptr<GroupConsumer> makeRdKafkaGroupConsumer(const config::KafkaConfig& config,
                                                        const GroupConsumerOptions& options,
                                                        GroupRebalanceListener& listener);

}  // namespace kbridge::kafka
