#pragma once
// Where a record goes (DESIGN.md §3): MD5 of the partition key as a 128-bit big-endian integer, or
// the ExplicitHashKey, picks the open shard whose hash-key range holds it. An adopted topic may
// route like Kafka's default partitioner instead (kafkaPartitionFor).

#include <cstdint>
#include <optional>
#include <string_view>

#include "streams/stream_meta.h"
#include "streams/uint128.h"

namespace kbridge::streams {

uint128 partitionKeyHash(std::string_view partitionKey);

// The open shard whose range holds `hashKey`; nullopt only if the stream has a gap (never for
// streams kbridge created).
std::optional<std::uint32_t> shardForHashKey(const StreamMeta& stream, uint128 hashKey);

// The shard of a record with partition key `key` and no ExplicitHashKey: the MD5 hash-key range,
// or for an adopted topic with the kafka partitioner the partition Kafka's default partitioner
// picks. nullopt only if the stream has a gap in its ranges.
std::optional<std::uint32_t> shardForPartitionKey(const StreamMeta& stream, std::string_view key);

// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2): the hash its default partitioner,
// and librdkafka's "murmur2_random", give a key.
std::int32_t kafkaMurmur2(std::string_view key);

// The partition Kafka's default partitioner picks for a non-empty key among `partitions`:
// (murmur2(key) & 0x7fffffff) % partitions.
std::uint32_t kafkaPartitionFor(std::string_view key, std::uint32_t partitions);

}  // namespace kbridge::streams
