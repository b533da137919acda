#include "app/adopted_streams.h"

#include <gtest/gtest.h>

namespace kbridge::app {
namespace {

TEST(AdoptedStreams, RetentionHoursOfATopic) {
  EXPECT_EQ(retentionHoursOf(std::nullopt), 168);  // no override: the broker's default
  EXPECT_EQ(retentionHoursOf(48 * 3'600'000), 48);
  EXPECT_EQ(retentionHoursOf(48 * 3'600'000 + 1), 49);  // whole hours, rounded up
  EXPECT_EQ(retentionHoursOf(60'000), 1);
  EXPECT_EQ(retentionHoursOf(0), 1);
  EXPECT_EQ(retentionHoursOf(-1), 8760);  // unlimited
  EXPECT_EQ(retentionHoursOf(std::int64_t{10} * 8760 * 3'600'000), 8760);
}

}  // namespace
}  // namespace kbridge::app
