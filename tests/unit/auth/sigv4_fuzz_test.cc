// Regressions found by tests/fuzz/fuzz_sigv4.

#include <gtest/gtest.h>

#include "auth/sigv4.h"

namespace kbridge::auth {
namespace {

TEST(SigV4Fuzz, FormatsYearsBelow1000InFourDigits) {
  // strftime's %Y wrote "150830T123600Z" (14 characters) for the year 15, which then did not
  // parse back.
  const auto ms = parseAmzDate("00150830T123600Z");
  ASSERT_TRUE(ms);
  EXPECT_EQ(formatAmzDate(*ms), "00150830T123600Z");
  EXPECT_EQ(parseAmzDate(formatAmzDate(*ms)), ms);
}

TEST(SigV4Fuzz, RefusesHttpDatesOutsideFourDigitYears) {
  // The year of an HTTP date is any %d; INT_MIN overflowed the civil-date arithmetic.
  EXPECT_FALSE(parseHttpDate("Sun, 30 Aug -2147483648 12:36:00 GMT"));
  EXPECT_FALSE(parseHttpDate("Sun, 30 Aug 2147483647 12:36:00 GMT"));
  EXPECT_FALSE(parseHttpDate("Sun, 30 Aug 2015 -1:36:00 GMT"));
  EXPECT_TRUE(parseHttpDate("Sun, 30 Aug 2015 12:36:00 GMT"));
}

}  // namespace
}  // namespace kbridge::auth
