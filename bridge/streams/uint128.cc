#include "streams/uint128.h"

#include <algorithm>

namespace kbridge::streams {

std::string toDecimal(uint128 value) {
  if (value == 0) return "0";
  std::string out;
  while (value != 0) {
    out.push_back(static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  }
  std::reverse(out.begin(), out.end());
  return out;
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
