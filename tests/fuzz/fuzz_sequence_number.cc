// libFuzzer target: sequence numbers (streams/sequence_number.h) and the 128-bit decimal codec
// under them (streams/uint128.h). The input is tried as a decimal string, and also read as a
// sequence number's fields.
//
// Invariants: parseDecimal accepts exactly 1..39 ASCII digits whose value fits 128 bits, and
// toDecimal gives them back without leading zeros; a parsed sequence number re-encodes to the
// same value; toString/parse round-trip every in-range (generation, shard, offset), and numbers
// grow with the offset within a shard.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "streams/sequence_number.h"
#include "streams/uint128.h"

namespace {

using kbridge::streams::SequenceNumber;
using kbridge::streams::uint128;

std::uint64_t take64(std::string_view& in) {
  std::uint64_t v = 0;
  const std::size_t n = std::min(sizeof v, in.size());
  std::memcpy(&v, in.data(), n);
  in.remove_prefix(n);
  return v;
}

// The reference: digits only, 1..39 of them, value below 2^128 (compared as text).
bool validDecimal(std::string_view text) {
  if (text.empty() || text.size() > 39) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  if (text.size() < 39) return true;
  return text <= "340282366920938463463374607431768211455";
}

std::string_view withoutLeadingZeros(std::string_view text) {
  while (text.size() > 1 && text.front() == '0') text.remove_prefix(1);
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const auto value = kbridge::streams::parseDecimal(input);
  FUZZ_CHECK(value.has_value() == validDecimal(input));
  if (value) {
    FUZZ_CHECK(kbridge::streams::toDecimal(*value) == withoutLeadingZeros(input));
    const auto seq = SequenceNumber::parse(input);
    FUZZ_CHECK(seq && seq->value() == *value);
    FUZZ_CHECK(seq->generation < (std::uint64_t{1} << kbridge::streams::kGenerationBits));
    FUZZ_CHECK(seq->shard <= kbridge::streams::kMaxShardIndex);
    FUZZ_CHECK(seq->offset <= kbridge::streams::kMaxOffset);
  } else {
    FUZZ_CHECK(!SequenceNumber::parse(input));
  }

  std::string_view rest = input;
  SequenceNumber s;
  s.generation = take64(rest) & ((std::uint64_t{1} << kbridge::streams::kGenerationBits) - 1);
  s.shard = static_cast<std::uint32_t>(take64(rest) & kbridge::streams::kMaxShardIndex);
  s.offset = take64(rest) & kbridge::streams::kMaxOffset;
  const auto parsed = SequenceNumber::parse(s.toString());
  FUZZ_CHECK(parsed && *parsed == s);
  FUZZ_CHECK(SequenceNumber::fromValue(s.value()) == s);
  if (s.offset < kbridge::streams::kMaxOffset) {
    SequenceNumber next = s;
    ++next.offset;
    FUZZ_CHECK(next.value() > s.value());
  }
  return 0;
}
