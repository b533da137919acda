#pragma once
// UTF-8 as RFC 3629 and Unicode (table 3-7 of chapter 3) define it: no overlong forms, no
// surrogates, nothing above U+10FFFF. Header-only, for the codec (CBOR text strings, which
// nlohmann does not check) and the handlers (Lambda event JSON, log lines).

#include <cstddef>
#include <string_view>

namespace kbridge::utf8 {

// The length of the valid UTF-8 sequence at p[0] (n > 0 bytes available), or 0 when none starts
// there.
inline std::size_t sequenceLength(const unsigned char* p, std::size_t n) {
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  auto cont = [&](std::size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return i < n && p[i] >= lo && p[i] <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;                  // overlong
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;            // surrogates
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;       // overlong
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;  // above U+10FFFF
  return 0;
}

inline bool isValid(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const std::size_t length = sequenceLength(p + i, n - i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

}  // namespace kbridge::utf8
