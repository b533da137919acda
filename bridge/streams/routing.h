#pragma once
// Where a record goes (DESIGN.md §3): MD5 of the partition key as a 128-bit big-endian integer, or
// the ExplicitHashKey, picks the open shard whose hash-key range holds it.

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

}  // namespace kbridge::streams
