#include "config/config.h"

#include <gtest/gtest.h>

namespace kbridge::config {
namespace {

TEST(ConfigTest, DefaultsFromAnEmptyDocument) {
  ConfigErrors errors;
  auto c = parseConfig("{}", {}, errors);
  ASSERT_TRUE(c) << (errors.errors.empty() ? "" : errors.errors[0]);
  EXPECT_EQ(c->kinesis.listen.port, 4567);
  EXPECT_EQ(c->admin.listen.port, 9400);
  EXPECT_EQ(c->kafka.catalogTopic, "__kbridge_catalog");
}

TEST(ConfigTest, ReadsValuesAndEnvironmentOverride) {
  ConfigErrors errors;
  auto c = parseConfig(
      R"({"kinesis":{"listen":"127.0.0.1:0","region":"eu-west-1","account_id":"123456789012"},
          "kafka":{"bootstrap_servers":"a:1","topic_prefix":"kb.","rdkafka":{"socket.timeout.ms":5000}}})",
      {{"KBRIDGE_BOOTSTRAP", "b:2"}}, errors);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kinesis.listen.port, 0);
  EXPECT_EQ(c->kinesis.region, "eu-west-1");
  EXPECT_EQ(c->kafka.bootstrapServers, "b:2");
  EXPECT_EQ(c->kafka.topicPrefix, "kb.");
  EXPECT_EQ(c->kafka.rdkafka.at("socket.timeout.ms"), "5000");
}

TEST(ConfigTest, ReportsEveryErrorWithItsPath) {
  ConfigErrors errors;
  auto c = parseConfig(
      R"({"kinesis":{"listen":"nowhere","account_id":"12"},"kafka":{"catalog_topic":"a b"},
          "log":{"level":"loud"},"surprise":1})",
      {}, errors);
  EXPECT_FALSE(c);
  auto has = [&](const std::string& needle) {
    for (const auto& e : errors.errors) {
      if (e.find(needle) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_EQ(errors.errors.size(), 5u);
  EXPECT_TRUE(has("$.kinesis.listen: must be HOST:PORT"));
  EXPECT_TRUE(has("$.kinesis.account_id: must be 12 digits"));
  EXPECT_TRUE(has("$.kafka.catalog_topic:"));
  EXPECT_TRUE(has("$.log.level:"));
  EXPECT_TRUE(has("$.surprise: unknown key"));
}

TEST(ConfigTest, ChecksRdKafkaPropertiesWithLibrdkafka) {
  ConfigErrors errors;
  auto c = parseConfig(
      R"({"kafka":{"rdkafka":{"linger.ms":"5","compression.type":"zstd",
                              "lingr.ms":"5","socket.timeout.ms":"soon","acks":"1",
                              "enable.idempotence":false,"bootstrap.servers":"x:1"}}})",
      {}, errors);
  EXPECT_FALSE(c);
  auto find = [&](const std::string& prefix) -> std::string {
    for (const auto& e : errors.errors) {
      if (e.rfind(prefix, 0) == 0) return e;
    }
    return "";
  };
  EXPECT_EQ(errors.errors.size(), 5u);
  // An unknown property and a bad value: librdkafka's own words.
  EXPECT_NE(find("$.kafka.rdkafka.lingr.ms: is refused by librdkafka: No such configuration "
                 "property"),
            "");
  EXPECT_NE(find("$.kafka.rdkafka.socket.timeout.ms: is refused by librdkafka: "), "");
  // What kbridge sets itself would be silently overridden: refused with the reason.
  EXPECT_NE(find("$.kafka.rdkafka.acks: is set by kbridge (acks=all"), "");
  EXPECT_NE(find("$.kafka.rdkafka.enable.idempotence: is set by kbridge"), "");
  EXPECT_NE(find("$.kafka.rdkafka.bootstrap.servers: is set from kafka.bootstrap_servers"), "");
  EXPECT_EQ(find("$.kafka.rdkafka.linger.ms"), "");
  EXPECT_EQ(find("$.kafka.rdkafka.compression.type"), "");
}

TEST(ConfigTest, RejectsInvalidJson) {
  ConfigErrors errors;
  EXPECT_FALSE(parseConfig("{", {}, errors));
  ASSERT_EQ(errors.errors.size(), 1u);
}

}  // namespace
}  // namespace kbridge::config
