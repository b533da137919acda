#pragma once
// Consumer-group offsets as an operator sees them (DESIGN.md §6, §8): the seam under the lag
// monitor and `kbridge replay`. A mapping's checkpoint is its group's committed offsets; this reads
// them next to the partitions' watermarks and record timestamps, tells whether the group has live
// members, and moves the checkpoint (only of a group without members: Kafka refuses otherwise).
//
// Calls block up to the configured request timeout; they run on the lag monitor's thread or in a
// command-line tool, never on an HTTP thread. Implementations are thread-safe.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kafka/errors.h"
#include "kafka/fetcher.h"

namespace kbridge::config {
struct KafkaConfig;
}

namespace kbridge::kafka {

// partition → offset. For committed offsets a partition without a commit is absent.
using OffsetMap = std::map<std::int32_t, std::int64_t>;

struct GroupMembership {
  std::string state;  // Kafka's group state: "Stable", "Empty", "Dead", "PreparingRebalance", ...
  int members = 0;    // members currently in the group
  bool active() const { return members > 0; }
};

class GroupOffsets {
 public:
  virtual ~GroupOffsets() = default;
  // The group's committed offsets on `topic` (OffsetFetch).
  virtual KafkaResult<OffsetMap> committed(const std::string& group, const std::string& topic) = 0;
  // Every topic the group has committed offsets on.
  virtual KafkaResult<std::vector<std::string>> committedTopics(const std::string& group) = 0;
  virtual KafkaResult<int> partitionCount(const std::string& topic) = 0;
  virtual KafkaResult<Watermarks> watermarks(const std::string& topic, std::int32_t partition) = 0;
  // The timestamp (epoch ms) of the record at each given offset; an offset with no record there
  // (past the end, trimmed, or not read within the timeout) is absent from the answer.
  virtual KafkaResult<OffsetMap> timestampsAt(const std::string& topic,
                                              const OffsetMap& offsets) = 0;
  // The first offset whose timestamp is >= timestampMs, or the end of the partition.
  virtual KafkaResult<std::int64_t> offsetForTime(const std::string& topic, std::int32_t partition,
                                                  std::int64_t timestampMs) = 0;
  virtual KafkaResult<GroupMembership> membership(const std::string& group) = 0;
  virtual KafkaResult<std::vector<std::string>> listGroups() = 0;
  // Sets the group's committed offsets of the given partitions (AlterConsumerGroupOffsets). Kafka
  // rejects this while the group has members.
  virtual KafkaStatus alterCommitted(const std::string& group, const std::string& topic,
                                     const OffsetMap& offsets) = 0;
};

// The librdkafka implementation: an admin client plus a consumer that only assigns (never joins
// or commits) to read record timestamps. Throws std::runtime_error on bad kafka.rdkafka settings.
std::unique_ptr<GroupOffsets> makeRdKafkaGroupOffsets(const config::KafkaConfig& config);

}  // namespace kbridge::kafka
