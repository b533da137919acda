#include "streams/uint128.h"

#include <cstdint>

namespace kbridge::streams {

std::string toDecimal(uint128 value) {
  // Peel off 19-digit chunks with one 128-bit division each, then format the chunks in 64 bits:
  // sequence numbers are printed for every record GetRecords returns.
  constexpr std::uint64_t kChunk = 10'000'000'000'000'000'000ULL;
  std::uint64_t chunks[3];
  int n = 0;
  do {
    chunks[n++] = static_cast<std::uint64_t>(value % kChunk);
    value /= kChunk;
  } while (value != 0);
  char buf[40];
  char* end = buf + sizeof buf;
  char* p = end;
  for (int i = 0; i < n; ++i) {
    std::uint64_t chunk = chunks[i];
    const bool last = i == n - 1;
    for (int digit = 0; digit < 19 && (!last || chunk != 0 || digit == 0); ++digit) {
      *--p = static_cast<char>('0' + chunk % 10);
      chunk /= 10;
    }
  }
  return std::string(p, end);
}

std::optional<uint128> parseDecimal(std::string_view text) {
  if (text.empty() || text.size() > 39) return std::nullopt;
  uint128 value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    uint128 digit = static_cast<uint128>(c - '0');
    if (value > (kUint128Max - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace kbridge::streams
