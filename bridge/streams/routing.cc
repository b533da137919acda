#include "streams/routing.h"

#include <openssl/md5.h>

namespace kbridge::streams {

uint128 partitionKeyHash(std::string_view partitionKey) {
  unsigned char digest[MD5_DIGEST_LENGTH];
  // MD5 is what Kinesis specifies for routing; OpenSSL 3 deprecates the one-shot call only in
  // favour of EVP, which costs an allocation per record.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  MD5(reinterpret_cast<const unsigned char*>(partitionKey.data()), partitionKey.size(), digest);
#pragma GCC diagnostic pop
  uint128 value = 0;
  for (unsigned char byte : digest) value = (value << 8) | byte;
  return value;
}

std::optional<std::uint32_t> shardForHashKey(const StreamMeta& stream, uint128 hashKey) {
  for (const auto& shard : stream.shards) {
    if (shard.open() && shard.hashKeyRange.start <= hashKey && hashKey <= shard.hashKeyRange.end) {
      return shard.index;
    }
  }
  return std::nullopt;
}

std::optional<std::uint32_t> shardForPartitionKey(const StreamMeta& stream, std::string_view key) {
  if (stream.kafkaPartitioner && !stream.shards.empty()) {
    return kafkaPartitionFor(key, static_cast<std::uint32_t>(stream.shards.size()));
  }
  return shardForHashKey(stream, partitionKeyHash(key));
}

std::int32_t kafkaMurmur2(std::string_view key) {
  // Java's int arithmetic: 32-bit, wrapping; >>> is a logical shift.
  constexpr std::uint32_t kSeed = 0x9747b28c;
  constexpr std::uint32_t kM = 0x5bd1e995;
  constexpr int kR = 24;
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  const std::size_t length = key.size();
  std::uint32_t h = kSeed ^ static_cast<std::uint32_t>(length);
  for (std::size_t i = 0; i + 4 <= length; i += 4) {
    std::uint32_t k = std::uint32_t{data[i]} | (std::uint32_t{data[i + 1]} << 8) |
                      (std::uint32_t{data[i + 2]} << 16) | (std::uint32_t{data[i + 3]} << 24);
    k *= kM;
    k ^= k >> kR;
    k *= kM;
    h *= kM;
    h ^= k;
  }
  const std::size_t tail = length & ~std::size_t{3};
  switch (length % 4) {
    case 3:
      h ^= std::uint32_t{data[tail + 2]} << 16;
      [[fallthrough]];
    case 2:
      h ^= std::uint32_t{data[tail + 1]} << 8;
      [[fallthrough]];
    case 1:
      h ^= std::uint32_t{data[tail]};
      h *= kM;
  }
  h ^= h >> 13;
  h *= kM;
  h ^= h >> 15;
  return static_cast<std::int32_t>(h);
}

std::uint32_t kafkaPartitionFor(std::string_view key, std::uint32_t partitions) {
  const auto positive = static_cast<std::uint32_t>(kafkaMurmur2(key)) & 0x7fffffffU;
  return positive % partitions;
}

}  // namespace kbridge::streams
