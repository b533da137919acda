// Regressions found by tests/fuzz/fuzz_prefix_expression.

#include <gtest/gtest.h>

#include <limits>

#include "handlers/archive/prefix_expression.h"

namespace kbridge::handlers::archive {
namespace {

TEST(PrefixExpressionFuzz, EvaluatesTheExtremesOfInt64) {
  std::string error;
  auto t = PrefixTemplate::parse("!{timestamp:yyyy-MM-dd HH:mm:ss.SSS}", error);
  ASSERT_TRUE(t) << error;
  // Was a signed overflow (epochMs - ms) before the floor division.
  PrefixValues min{std::numeric_limits<std::int64_t>::min(), nullptr, "", ""};
  EXPECT_EQ(t->evaluate(min), "-292275055-05-16 16:47:04.192");
  PrefixValues max{std::numeric_limits<std::int64_t>::max(), nullptr, "", ""};
  EXPECT_EQ(t->evaluate(max), "292278994-08-17 07:12:55.807");
  PrefixValues beforeEpoch{-1, nullptr, "", ""};
  EXPECT_EQ(t->evaluate(beforeEpoch), "1969-12-31 23:59:59.999");
}

}  // namespace
}  // namespace kbridge::handlers::archive
