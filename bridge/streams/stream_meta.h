#pragma once
// A stream's metadata as the catalog stores it (DESIGN.md §3): shards with their hash-key ranges
// and sequence-number ranges, retention, mode, tags and status. Plain values; the catalog owns the
// authoritative copies and hands out snapshots.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "streams/uint128.h"

namespace kbridge::streams {

enum class StreamStatus { kCreating, kDeleting, kActive, kUpdating };
enum class StreamMode { kProvisioned, kOnDemand };

std::string_view statusName(StreamStatus status);
std::string_view modeName(StreamMode mode);

struct HashKeyRange {
  uint128 start = 0;
  uint128 end = 0;  // inclusive
};

struct ShardMeta {
  std::uint32_t index = 0;  // = Kafka partition
  std::optional<std::uint32_t> parent;
  std::optional<std::uint32_t> adjacentParent;
  HashKeyRange hashKeyRange;
  std::string startingSequenceNumber;
  std::optional<std::string> endingSequenceNumber;  // set when the shard is closed

  bool open() const { return !endingSequenceNumber.has_value(); }
};

struct StreamMeta {
  std::string name;
  std::string topic;
  std::uint64_t generation = 0;  // creation time in epoch ms; part of every sequence number
  std::int64_t creationTimeMs = 0;
  StreamStatus status = StreamStatus::kActive;
  StreamMode mode = StreamMode::kProvisioned;
  int retentionHours = 24;
  std::vector<ShardMeta> shards;
  std::map<std::string, std::string> tags;
  std::vector<std::string> shardLevelMetrics;
  std::vector<std::string> consumers;  // registered stream consumers (enhanced fan-out)
  // An existing Kafka topic exposed by streams.adopt: kbridge never deletes it or changes its
  // configs. kafkaPartitioner: records without an ExplicitHashKey go to the partition Kafka's
  // default partitioner picks for their key (murmur2), not to the MD5 hash-key range.
  bool adopted = false;
  bool kafkaPartitioner = false;

  int openShardCount() const;
};

// "shardId-000000000007" for 7; parseShardId accepts that form (and only it).
std::string shardIdName(std::uint32_t index);
// Appends shardIdName(index) to `out` (no allocation of its own).
void appendShardIdName(std::string& out, std::uint32_t index);
std::optional<std::uint32_t> parseShardId(std::string_view shardId);

// The shards of a new stream: [0, 2^128) split as Kinesis does for CreateStream (equal ranges of
// floor(2^128 / n), the last one ending at 2^128 - 1).
std::vector<ShardMeta> initialShards(int count, std::uint64_t generation);

nlohmann::json toCatalogJson(const StreamMeta& meta);
// nullopt when the document is not a stream record this version understands.
std::optional<StreamMeta> fromCatalogJson(const nlohmann::json& doc);

}  // namespace kbridge::streams
