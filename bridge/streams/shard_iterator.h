#pragma once
// Shard iterators (DESIGN.md §3): opaque, self-contained and authenticated, so any kbridge instance
// can serve any iterator. The token is base64 of
//   version (1) | generation (8) | shard (4) | offset (8) | issued ms (8) | name length (1) | name
//   | HMAC-SHA256 of everything before it (32)
// under the cluster-wide secret kept in the catalog.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kbridge::streams {

// Offset value meaning "the oldest record still retained, when read" (TRIM_HORIZON).
inline constexpr std::uint64_t kTrimHorizonOffset = ~std::uint64_t{0};
inline constexpr std::int64_t kIteratorLifetimeMs = 300'000;

struct ShardIterator {
  std::string stream;
  std::uint64_t generation = 0;
  std::uint32_t shard = 0;
  std::uint64_t offset = 0;  // next offset to read, or kTrimHorizonOffset
  std::int64_t issuedMs = 0;
};

std::string encodeShardIterator(const ShardIterator& iterator, std::string_view secret);
// nullopt when the token is not one of ours or was altered.
std::optional<ShardIterator> decodeShardIterator(std::string_view token, std::string_view secret);

}  // namespace kbridge::streams
