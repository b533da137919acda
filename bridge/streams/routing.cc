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

}  // namespace kbridge::streams
