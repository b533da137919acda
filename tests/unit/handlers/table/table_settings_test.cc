#include "handlers/table/table_settings.h"

#include <gtest/gtest.h>

#include "handlers/registry.h"

namespace kbridge::handlers::table {
namespace {

using nlohmann::json;

std::vector<std::string> errorsOf(const json& settings) {
  std::vector<std::string> errors;
  EXPECT_FALSE(parseTableSettings(settings, "$.mappings[0].handler", errors));
  return errors;
}

TEST(TableSettingsTest, DefaultsFollowTheSeed) {
  std::vector<std::string> errors;
  auto s = parseTableSettings(json{{"path", "/tmp/x/items.db"}}, "$.h", errors);
  ASSERT_TRUE(s) << errors.front();
  EXPECT_EQ(s->path, "/tmp/x/items.db");
  EXPECT_EQ(s->idField, "id");
  EXPECT_EQ(s->ttlAttribute, "ttl");
  EXPECT_EQ(s->ttlSeconds, 7 * 24 * 3600);
  EXPECT_EQ(s->sweepIntervalMs, 60000);
}

TEST(TableSettingsTest, EverySettingIsRead) {
  std::vector<std::string> errors;
  auto s = parseTableSettings(json{{"path", "data/t.db"},
                                   {"id_field", "userId"},
                                   {"ttl_attribute", "expiresAt"},
                                   {"ttl_s", 0},
                                   {"sweep_interval_s", 5}},
                              "$.h", errors);
  ASSERT_TRUE(s) << errors.front();
  EXPECT_EQ(s->idField, "userId");
  EXPECT_EQ(s->ttlAttribute, "expiresAt");
  EXPECT_EQ(s->ttlSeconds, 0);
  EXPECT_EQ(s->sweepIntervalMs, 5000);
}

TEST(TableSettingsTest, EveryProblemIsReportedWithItsPath) {
  auto errors = errorsOf(json{{"id_field", ""},
                              {"ttl_s", -1},
                              {"sweep_interval_s", 0},
                              {"ttl_attribute", "data"},
                              {"colour", "blue"}});
  const std::vector<std::string> expected{
      "$.mappings[0].handler.path: is required: the table's SQLite file",
      "$.mappings[0].handler.id_field: must not be empty",
      "$.mappings[0].handler.ttl_s: must be between 0 and 315360000",
      "$.mappings[0].handler.sweep_interval_s: must be between 1 and 86400",
      "$.mappings[0].handler.ttl_attribute: must not be \"data\": the item already has that "
      "attribute",
      "$.mappings[0].handler.colour: unknown key",
  };
  EXPECT_EQ(errors, expected);
}

TEST(TableSettingsTest, PathMustNameAFile) {
  auto errors = errorsOf(json{{"path", "/var/lib/kbridge/"}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "$.mappings[0].handler.path: must name a file, not a directory");
  errors = errorsOf(json{{"path", 7}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "$.mappings[0].handler.path: must be a string");
}

TEST(TableSettingsTest, TheRegistryKnowsTheType) {
  std::vector<std::string> errors;
  EXPECT_TRUE(buildHandler("table", json{{"path", "/tmp/t.db"}}, "$.h", errors));
  EXPECT_TRUE(errors.empty());
  EXPECT_FALSE(buildHandler("table", json::object(), "$.h", errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "$.h.path: is required: the table's SQLite file");
}

}  // namespace
}  // namespace kbridge::handlers::table
