// The config's `lag` section: defaults, values, and every error with its path.

#include <gtest/gtest.h>

#include "config/config.h"

namespace kbridge::config {
namespace {

TEST(LagConfigTest, DefaultsAndValues) {
  ConfigErrors errors;
  auto c = parseConfig("{}", {}, errors);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->lag.intervalS, 30);
  EXPECT_EQ(c->lag.window, 10);
  EXPECT_TRUE(c->lag.groups.empty());
  c = parseConfig(R"({"lag":{"interval_s":5,"window":4,"groups":["analytics-*","etl"]}})", {},
                  errors);
  ASSERT_TRUE(c) << errors.errors[0];
  EXPECT_EQ(c->lag.intervalS, 5);
  EXPECT_EQ(c->lag.window, 4);
  EXPECT_EQ(c->lag.groups, (std::vector<std::string>{"analytics-*", "etl"}));
}

TEST(LagConfigTest, ReportsEveryErrorWithItsPath) {
  ConfigErrors errors;
  auto c = parseConfig(R"({"lag":{"interval_s":0,"window":1,"groups":["ok",""],"extra":1}})", {},
                       errors);
  EXPECT_FALSE(c);
  const std::vector<std::string> expected = {
      "$.lag.interval_s: must be between 1 and 3600", "$.lag.window: must be between 2 and 100",
      "$.lag.groups[1]: must be a non-empty string", "$.lag.extra: unknown key"};
  for (const auto& e : expected) {
    EXPECT_NE(std::find(errors.errors.begin(), errors.errors.end(), e), errors.errors.end()) << e;
  }
  ConfigErrors more;
  EXPECT_FALSE(parseConfig(R"({"lag":{"groups":"x"}})", {}, more));
  ASSERT_EQ(more.errors.size(), 1u);
  EXPECT_EQ(more.errors[0], "$.lag.groups: must be an array of group patterns");
}

}  // namespace
}  // namespace kbridge::config
