// The config's `api` section (config.cc's parseApi): defaults, every key, every error with its
// path.

#include <gtest/gtest.h>

#include "config/config.h"

namespace kbridge::config {
namespace {

std::shared_ptr<const Config> parse(const std::string& text, ConfigErrors& errors) {
  return parseConfig(text, {}, errors);
}

constexpr const char* kTableMapping =
    R"({"name": "processed", "stream": "data", "starting_position": "LATEST",
        "handler": {"type": "table", "path": "/tmp/t.db"}})";

TEST(ApiConfigTest, DefaultsWithoutTheSection) {
  ConfigErrors errors;
  auto c = parse("{}", errors);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->api.ingestStream, "");
  EXPECT_EQ(c->api.dataMapping, "");
  EXPECT_EQ(c->api.defaultLimit, 50);
  EXPECT_EQ(c->api.maxLimit, 1000);
  EXPECT_EQ(c->api.cors.allowOrigin, "*");
  EXPECT_EQ(c->api.cors.allowMethods, "GET,POST,OPTIONS");
  EXPECT_EQ(c->api.cors.maxAgeS, 0);
}

TEST(ApiConfigTest, EveryKeyIsRead) {
  ConfigErrors errors;
  auto c = parse(std::string(R"({"mappings": [)") + kTableMapping + R"(],
      "api": {"ingest": {"stream": "data", "partition_key_field": "userId"},
              "data": {"mapping": "processed", "default_limit": 10, "max_limit": 100},
              "cors": {"allow_origin": "https://x.example", "allow_methods": "GET",
                       "allow_headers": "Content-Type", "max_age_s": 300}}})",
                 errors);
  ASSERT_TRUE(c) << errors.errors.front();
  EXPECT_EQ(c->api.ingestStream, "data");
  EXPECT_EQ(c->api.partitionKeyField, "userId");
  EXPECT_EQ(c->api.dataMapping, "processed");
  EXPECT_EQ(c->api.defaultLimit, 10);
  EXPECT_EQ(c->api.maxLimit, 100);
  EXPECT_EQ(c->api.cors.allowOrigin, "https://x.example");
  EXPECT_EQ(c->api.cors.allowMethods, "GET");
  EXPECT_EQ(c->api.cors.allowHeaders, "Content-Type");
  EXPECT_EQ(c->api.cors.maxAgeS, 300);
}

TEST(ApiConfigTest, EveryProblemIsReportedWithItsPath) {
  ConfigErrors errors;
  auto c = parse(R"({"mappings": [{"name": "logged", "stream": "s", "starting_position": "LATEST",
                                   "handler": {"type": "log"}}],
      "api": {"ingest": {"partition_key_field": ""},
              "data": {"mapping": "logged", "default_limit": 20, "max_limit": 10},
              "cors": {"allow_origin": "a\nb", "max_age_s": -1},
              "extra": 1}})",
                 errors);
  EXPECT_FALSE(c);
  const std::vector<std::string> expected{
      "$.api.ingest.stream: is required",
      "$.api.ingest.partition_key_field: must not be empty",
      "$.api.data.default_limit: must not exceed max_limit",
      "$.api.data.mapping: must name a mapping whose handler type is \"table\" (\"logged\" has "
      "\"log\")",
      "$.api.cors.allow_origin: must not contain control characters",
      "$.api.cors.max_age_s: must be between 0 and 86400",
      "$.api.extra: unknown key",
  };
  EXPECT_EQ(errors.errors, expected);
}

TEST(ApiConfigTest, DataMappingMustExist) {
  ConfigErrors errors;
  EXPECT_FALSE(parse(R"({"api": {"data": {"mapping": "ghost"}}})", errors));
  ASSERT_EQ(errors.errors.size(), 1u);
  EXPECT_EQ(errors.errors[0], "$.api.data.mapping: names no mapping of $.mappings");
  errors.errors.clear();
  EXPECT_FALSE(parse(R"({"api": {"data": {}}})", errors));
  ASSERT_EQ(errors.errors.size(), 1u);
  EXPECT_EQ(errors.errors[0],
            "$.api.data.mapping: is required: the name of a mapping whose handler type is "
            "\"table\"");
}

}  // namespace
}  // namespace kbridge::config
