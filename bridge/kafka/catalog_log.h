#pragma once
// The catalog's storage: one compacted, single-partition Kafka topic (DESIGN.md §3). Every kbridge
// instance appends to it and tails it from the beginning, so all instances converge on the same
// state with no local disk.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "kafka/errors.h"

namespace kbridge::config {
struct KafkaConfig;
}

namespace kbridge::kafka {

struct CatalogRecord {
  std::string key;
  std::optional<std::string> value;  // nullopt = tombstone
  std::int64_t offset = 0;
};

class CatalogLog {
 public:
  virtual ~CatalogLog() = default;

  // Creates the topic when missing (compacted, one partition). Blocking; start-up only.
  virtual KafkaStatus ensureTopic() = 0;
  // Appends a record and returns its offset once Kafka acknowledged it (acks=all). Blocking.
  virtual KafkaResult<std::int64_t> append(const std::string& key,
                                           const std::optional<std::string>& value) = 0;
  // The log's end offset (the offset the next record will get). Blocking.
  virtual KafkaResult<std::int64_t> endOffset() = 0;
  // Starts a reader thread that calls onRecord for every record from the beginning, in order, and
  // onPosition(next offset) after each record and whenever it reaches the end. Both callbacks run
  // on the reader thread.
  virtual void startReading(std::function<void(const CatalogRecord&)> onRecord,
                            std::function<void(std::int64_t)> onPosition) = 0;
  // Stops the reader thread; idempotent.
  virtual void stop() = 0;
};

std::unique_ptr<CatalogLog> makeKafkaCatalogLog(const config::KafkaConfig& config);

}  // namespace kbridge::kafka
