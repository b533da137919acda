#pragma once
// The digests SigV4 and bearer tokens need, on OpenSSL: SHA-256, HMAC-SHA256, lower-case hex and
// a comparison whose time does not depend on where two secrets first differ.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace kbridge::auth {

using Digest = std::array<unsigned char, 32>;

Digest sha256(std::string_view data);
Digest hmacSha256(std::string_view key, std::string_view data);
std::string toHex(const Digest& digest);
inline std::string sha256Hex(std::string_view data) {
  return toHex(sha256(data));
}
inline std::string_view asView(const Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}
// Equal length and equal bytes; the time taken depends only on the lengths.
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace kbridge::auth
