#include "streams/sequence_number.h"

#include <gtest/gtest.h>

#include <vector>

namespace kbridge::streams {
namespace {

TEST(SequenceNumberTest, RoundTripsThroughDecimal) {
  SequenceNumber s{1700000000123, 7, 123456789};
  auto parsed = SequenceNumber::parse(s.toString());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, s);
}

TEST(SequenceNumberTest, ExtremesFitIn128Bits) {
  SequenceNumber s{(std::uint64_t{1} << kGenerationBits) - 1, kMaxShardIndex, kMaxOffset};
  EXPECT_EQ(s.toString(), "340282366920938463463374607431768211455");
  EXPECT_EQ(SequenceNumber::parse(s.toString()), s);
}

TEST(SequenceNumberTest, GrowsWithOffsetWithinAShard) {
  SequenceNumber a{5, 3, 10}, b{5, 3, 11};
  EXPECT_LT(a.value(), b.value());
}

TEST(SequenceNumberTest, DiffersAcrossShardsAndGenerations) {
  EXPECT_NE(SequenceNumber({5, 3, 10}).value(), SequenceNumber({5, 4, 10}).value());
  EXPECT_NE(SequenceNumber({5, 3, 10}).value(), SequenceNumber({6, 3, 10}).value());
}

TEST(SequenceNumberTest, DecimalFormattingAcrossChunkBoundaries) {
  const uint128 tenTo19 = 10'000'000'000'000'000'000ULL;
  EXPECT_EQ(toDecimal(0), "0");
  EXPECT_EQ(toDecimal(tenTo19 - 1), "9999999999999999999");
  EXPECT_EQ(toDecimal(tenTo19), "10000000000000000000");
  EXPECT_EQ(toDecimal(tenTo19 * tenTo19), "100000000000000000000000000000000000000");
  EXPECT_EQ(toDecimal(uint128{1} << 64), "18446744073709551616");
  for (const char* text : {"1", "42", "18446744073709551615", "123456789012345678901234567890"}) {
    EXPECT_EQ(toDecimal(*parseDecimal(text)), text);
  }
}

TEST(SequenceNumberTest, RejectsNonDecimal) {
  EXPECT_FALSE(SequenceNumber::parse(""));
  EXPECT_FALSE(SequenceNumber::parse("-1"));
  EXPECT_FALSE(SequenceNumber::parse("12a"));
  EXPECT_FALSE(SequenceNumber::parse("340282366920938463463374607431768211456"));  // 2^128
  EXPECT_FALSE(SequenceNumber::parse(std::string(40, '1')));
}

TEST(SequenceTextTest, EqualsTheFullConversionForRunsGapsAndCarries) {
  // Offsets in a run, a gap, a step back, and runs across carries (…9 → …0) of every length.
  const std::uint64_t generation = 1'700'000'000'123;
  SequenceText text(generation, 3);
  std::vector<std::uint64_t> offsets{0, 1, 2, 7, 8, 5, 6};
  const auto base = SequenceNumber{generation, 3, 0}.value();
  for (std::uint64_t digits = 1; digits <= 6; ++digits) {
    // An offset whose number ends in `digits` nines, then the next ones.
    std::uint64_t pow = 1;
    for (std::uint64_t i = 0; i < digits; ++i) pow *= 10;
    const auto mod = static_cast<std::uint64_t>((base + 1000 * pow) % pow);
    const std::uint64_t nines = 1000 * pow - 1 - mod;
    for (std::uint64_t k = 0; k < 3; ++k) offsets.push_back(nines - 1 + k);
  }
  for (auto offset : offsets) {
    EXPECT_EQ(text.of(offset), (SequenceNumber{generation, 3, offset}.toString())) << offset;
  }
  EXPECT_EQ(text.shard(), 3u);
}

}  // namespace
}  // namespace kbridge::streams
