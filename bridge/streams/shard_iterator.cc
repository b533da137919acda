#include "streams/shard_iterator.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include "kinesis/codec.h"

namespace kbridge::streams {
namespace {

constexpr unsigned char kVersion = 1;
constexpr size_t kMacBytes = 32;
constexpr size_t kFixedBytes = 1 + 8 + 4 + 8 + 8 + 1;

void putInt(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t getInt(std::string_view in, size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v = (v << 8) | static_cast<unsigned char>(in[at + static_cast<size_t>(i)]);
  return v;
}

std::string mac(std::string_view payload, std::string_view secret) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace

std::string encodeShardIterator(const ShardIterator& it, std::string_view secret) {
  std::string payload;
  payload.reserve(kFixedBytes + it.stream.size() + kMacBytes);
  payload.push_back(static_cast<char>(kVersion));
  putInt(payload, it.generation, 8);
  putInt(payload, it.shard, 4);
  putInt(payload, it.offset, 8);
  putInt(payload, static_cast<std::uint64_t>(it.issuedMs), 8);
  payload.push_back(static_cast<char>(it.stream.size()));
  payload += it.stream;
  payload += mac(payload, secret);
  return kinesis::base64Encode(payload);
}

std::optional<ShardIterator> decodeShardIterator(std::string_view token, std::string_view secret) {
  auto raw = kinesis::base64Decode(token);
  if (!raw || raw->size() < kFixedBytes + kMacBytes) return std::nullopt;
  const std::string_view bytes(*raw);
  if (static_cast<unsigned char>(bytes[0]) != kVersion) return std::nullopt;
  const size_t nameLength = static_cast<unsigned char>(bytes[kFixedBytes - 1]);
  if (bytes.size() != kFixedBytes + nameLength + kMacBytes) return std::nullopt;
  const auto payload = bytes.substr(0, kFixedBytes + nameLength);
  const auto expected = mac(payload, secret);
  if (CRYPTO_memcmp(expected.data(), bytes.data() + payload.size(), kMacBytes) != 0) {
    return std::nullopt;
  }
  ShardIterator it;
  it.generation = getInt(bytes, 1, 8);
  it.shard = static_cast<std::uint32_t>(getInt(bytes, 9, 4));
  it.offset = getInt(bytes, 13, 8);
  it.issuedMs = static_cast<std::int64_t>(getInt(bytes, 21, 8));
  it.stream = std::string(bytes.substr(kFixedBytes, nameLength));
  return it;
}

}  // namespace kbridge::streams
