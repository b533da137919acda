#include "streams/sequence_number.h"

namespace kbridge::streams {

uint128 SequenceNumber::value() const {
  return (static_cast<uint128>(generation) << (kShardBits + kOffsetBits)) |
         (static_cast<uint128>(shard) << kOffsetBits) | static_cast<uint128>(offset);
}

std::string SequenceNumber::toString() const {
  return toDecimal(value());
}

SequenceNumber SequenceNumber::fromValue(uint128 value) {
  SequenceNumber s;
  s.offset = static_cast<std::uint64_t>(value & kMaxOffset);
  s.shard = static_cast<std::uint32_t>((value >> kOffsetBits) & kMaxShardIndex);
  s.generation = static_cast<std::uint64_t>(value >> (kShardBits + kOffsetBits));
  return s;
}

std::optional<SequenceNumber> SequenceNumber::parse(std::string_view text) {
  auto v = parseDecimal(text);
  if (!v) return std::nullopt;
  return fromValue(*v);
}

}  // namespace kbridge::streams
