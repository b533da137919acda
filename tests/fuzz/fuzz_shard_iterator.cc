// libFuzzer target: shard iterator tokens (streams/shard_iterator.h). The input is tried as a
// token, and also read as the fields of an iterator to encode.
//
// Invariants: a token that decodes re-encodes to itself (base64 is strict, the layout fixed);
// decode(encode(it)) == it for every iterator whose name fits the one-byte length; a token does
// not decode under another secret, nor with any one byte changed.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "kinesis/codec.h"
#include "streams/shard_iterator.h"

namespace {

using kbridge::streams::decodeShardIterator;
using kbridge::streams::encodeShardIterator;
using kbridge::streams::ShardIterator;

constexpr std::string_view kSecret = "fuzz-cluster-secret-0123456789abcdef";
constexpr std::string_view kOtherSecret = "fuzz-cluster-secret-0123456789abcdeF";

bool same(const ShardIterator& a, const ShardIterator& b) {
  return a.stream == b.stream && a.generation == b.generation && a.shard == b.shard &&
         a.offset == b.offset && a.issuedMs == b.issuedMs;
}

template <class T>
T take(std::string_view& in) {
  T v{};
  const std::size_t n = std::min(sizeof v, in.size());
  std::memcpy(&v, in.data(), n);
  in.remove_prefix(n);
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // As a token.
  if (auto it = decodeShardIterator(input, kSecret)) {
    FUZZ_CHECK(encodeShardIterator(*it, kSecret) == input);
  }
  (void)decodeShardIterator(input, "");

  // As an iterator's fields: generation, shard, offset, issued time, then the name.
  std::string_view rest = input;
  ShardIterator it;
  it.generation = take<std::uint64_t>(rest);
  it.shard = take<std::uint32_t>(rest);
  it.offset = take<std::uint64_t>(rest);
  it.issuedMs = take<std::int64_t>(rest);
  it.stream = std::string(rest.substr(0, 255));
  const std::string token = encodeShardIterator(it, kSecret);
  const auto back = decodeShardIterator(token, kSecret);
  FUZZ_CHECK(back && same(*back, it));
  FUZZ_CHECK(!decodeShardIterator(token, kOtherSecret));
  // Any change to the authenticated bytes is refused: flip one bit of one byte, chosen by the
  // input, in the decoded form.
  std::string raw = *kbridge::kinesis::base64Decode(token);
  raw[size % raw.size()] ^= static_cast<char>(1 << (size % 8));
  FUZZ_CHECK(!decodeShardIterator(kbridge::kinesis::base64Encode(raw), kSecret));
  return 0;
}
