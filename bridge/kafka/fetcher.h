#pragma once
// Reading records of one partition at a given offset, for GetRecords (DESIGN.md §4). The
// implementation keeps a fetch cursor per partition whose position usually equals the next
// request's offset, so a sequential reader never pays a seek. Calls block (bounded) and run on the
// fetch executor, never on an HTTP thread.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kafka/errors.h"

namespace kbridge::config {
struct KafkaConfig;
}

namespace kbridge::kafka {

struct FetchedRecord {
  std::int64_t offset = 0;
  std::int64_t timestampMs = 0;
  std::string key;
  std::string value;
};

struct Watermarks {
  std::int64_t low = 0;   // oldest retained offset
  std::int64_t high = 0;  // next offset to be written
};

struct FetchResult {
  std::vector<FetchedRecord> records;
  std::int64_t nextOffset = 0;  // where the next read continues
  Watermarks watermarks;
};

class Fetcher {
 public:
  virtual ~Fetcher() = default;
  // Records from `offset` on (clamped up to the oldest retained offset), at most maxRecords and
  // about maxBytes; returns at once with none when the partition has nothing past `offset`.
  virtual KafkaResult<FetchResult> fetch(const std::string& topic, std::int32_t partition,
                                         std::int64_t offset, std::size_t maxRecords,
                                         std::size_t maxBytes) = 0;
  virtual KafkaResult<Watermarks> watermarks(const std::string& topic, std::int32_t partition) = 0;
  // Stops and drops every cursor of `topic`, before or after the topic is deleted: a cursor left
  // fetching from a deleted topic keeps librdkafka from shutting down.
  virtual void forgetTopic(const std::string& topic) = 0;
  // The first offset whose timestamp is >= timestampMs, or the high watermark when none is.
  virtual KafkaResult<std::int64_t> offsetForTime(const std::string& topic, std::int32_t partition,
                                                  std::int64_t timestampMs) = 0;
};

std::unique_ptr<Fetcher> makeRdKafkaFetcher(const config::KafkaConfig& config);

}  // namespace kbridge::kafka
