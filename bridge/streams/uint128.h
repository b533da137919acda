#pragma once
// 128-bit unsigned arithmetic helpers for hash keys and sequence numbers, which Kinesis writes as
// decimal strings.

#include <optional>
#include <string>
#include <string_view>

namespace kbridge::streams {

__extension__ typedef unsigned __int128 uint128;  // GCC/Clang extension

inline constexpr uint128 kUint128Max = ~uint128{0};

std::string toDecimal(uint128 value);
// Parses a decimal string of 1..39 digits without sign or leading '+'; nullopt on anything else or
// on overflow past 2^128 - 1.
std::optional<uint128> parseDecimal(std::string_view text);

}  // namespace kbridge::streams
