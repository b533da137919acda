// `streams.create`: the streams a config declares (names as Kinesis's StreamName, shards within
// the shard limit, retention 24..8760 h), and `streams.adopt`: existing topics exposed as streams;
// every error with its JSON path.

#include <gtest/gtest.h>

#include <algorithm>

#include "config/config.h"

namespace kbridge::config {
namespace {

std::vector<std::string> errorsOf(const std::string& text) {
  ConfigErrors errors;
  EXPECT_FALSE(parseConfig(text, {}, errors));
  return errors.errors;
}

TEST(StreamDeclarationsConfigTest, ReadsDeclarationsWithTheDefaultRetention) {
  ConfigErrors errors;
  auto c = parseConfig(R"({"streams":{"default_retention_hours":48,"create":[
                             {"name":"data-stream.local_1","shards":2},
                             {"name":"MyStream","shards":1,"retention_hours":8760}]}})",
                       {}, errors);
  ASSERT_TRUE(c) << (errors.errors.empty() ? "" : errors.errors[0]);
  ASSERT_EQ(c->streams.create.size(), 2u);
  EXPECT_EQ(c->streams.create[0].name, "data-stream.local_1");
  EXPECT_EQ(c->streams.create[0].shards, 2);
  EXPECT_EQ(c->streams.create[0].retentionHours, 48);
  EXPECT_EQ(c->streams.create[1].name, "MyStream");
  EXPECT_EQ(c->streams.create[1].retentionHours, 8760);
}

TEST(StreamDeclarationsConfigTest, NoDeclarationsByDefault) {
  ConfigErrors errors;
  auto c = parseConfig("{}", {}, errors);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->streams.create.empty());
}

TEST(StreamDeclarationsConfigTest, ReportsEveryBadDeclarationWithItsPath) {
  const auto errors = errorsOf(R"({"streams":{"shard_limit":3,"create":[
      {"name":"bad name!","shards":1},
      {"shards":0,"retention_hours":23},
      {"name":"big","shards":5,"retention_hours":8761},
      {"name":"twice","shards":1},
      {"name":"twice","shards":"1","extra":true},
      {"name":"x"},
      "stream",
      {"name":"","shards":1},
      {"name":")" + std::string(129, 'a') +
                               R"(","shards":1}]}})");
  const std::vector<std::string> expected{
      "$.streams.create[0].name: may contain only ASCII letters, digits, '.', '_' and '-'",
      "$.streams.create[1].name: is required",
      "$.streams.create[1].shards: must be between 1 and 3",
      "$.streams.create[1].retention_hours: must be between 24 and 8760",
      "$.streams.create[2].shards: must be between 1 and 3",
      "$.streams.create[2].retention_hours: must be between 24 and 8760",
      "$.streams.create[4].name: \"twice\" is declared twice",
      "$.streams.create[4].shards: must be an integer",
      "$.streams.create[4].extra: unknown key",
      "$.streams.create[5].shards: is required (the stream's shard count)",
      "$.streams.create[6]: must be an object",
      "$.streams.create[7].name: must be 1 to 128 characters",
      "$.streams.create[8].name: must be 1 to 128 characters",
      "$.streams.create: declares 4 shards in all, more than shard_limit (3)",
  };
  for (const auto& e : expected) {
    EXPECT_NE(std::find(errors.begin(), errors.end(), e), errors.end()) << "missing: " << e;
  }
  EXPECT_EQ(errors.size(), expected.size()) << ::testing::PrintToString(errors);
}

TEST(StreamDeclarationsConfigTest, CreateMustBeAnArray) {
  EXPECT_EQ(errorsOf(R"({"streams":{"create":{"name":"s","shards":1}}})"),
            std::vector<std::string>{"$.streams.create: must be an array of {\"name\", "
                                     "\"shards\", \"retention_hours\"} objects"});
}

TEST(StreamDeclarationsConfigTest, TheShardLimitIsTheConfiguredOne) {
  ConfigErrors errors;
  auto c = parseConfig(R"({"streams":{"shard_limit":600,"create":[{"name":"s","shards":600}]}})",
                       {}, errors);
  ASSERT_TRUE(c) << (errors.errors.empty() ? "" : errors.errors[0]);
  EXPECT_EQ(c->streams.create[0].shards, 600);
}

TEST(StreamAdoptionsConfigTest, ReadsAdoptionsNameDefaultingToTheTopic) {
  ConfigErrors errors;
  auto c = parseConfig(R"({"streams":{"adopt":[
                             {"topic":"orders.v1"},
                             {"topic":"payments","name":"payments-stream","partitioner":"kafka"}]}})",
                       {}, errors);
  ASSERT_TRUE(c) << (errors.errors.empty() ? "" : errors.errors[0]);
  ASSERT_EQ(c->streams.adopt.size(), 2u);
  EXPECT_EQ(c->streams.adopt[0].name, "orders.v1");
  EXPECT_EQ(c->streams.adopt[0].topic, "orders.v1");
  EXPECT_FALSE(c->streams.adopt[0].kafkaPartitioner);
  EXPECT_EQ(c->streams.adopt[1].name, "payments-stream");
  EXPECT_TRUE(c->streams.adopt[1].kafkaPartitioner);
}

TEST(StreamAdoptionsConfigTest, ReportsEachErrorWithItsPath) {
  const std::string longTopic(200, 't');
  const auto errors = errorsOf(R"({"streams":{"create":[{"name":"taken","shards":1}],"adopt":[
                                    {"name":"x"},
                                    {"topic":"bad topic"},
                                    {"topic":")" +
                               longTopic + R"("},
                                    {"topic":"t1","name":"taken"},
                                    {"topic":"t2","partitioner":"murmur"},
                                    {"topic":"t3","name":"t2"}]}})");
  auto has = [&](const std::string& e) {
    return std::find(errors.begin(), errors.end(), e) != errors.end();
  };
  EXPECT_EQ(errors.size(), 6u);
  EXPECT_TRUE(has("$.streams.adopt[0].topic: is required"));
  EXPECT_TRUE(
      has("$.streams.adopt[1].topic: may contain only ASCII letters, digits, '.', '_' "
          "and '-'"));
  EXPECT_TRUE(
      has("$.streams.adopt[2].name: is required: the topic's name is no stream name "
          "(must be 1 to 128 characters)"));
  EXPECT_TRUE(has("$.streams.adopt[3].name: \"taken\" is declared twice (in create or adopt)"));
  EXPECT_TRUE(has("$.streams.adopt[4].partitioner: must be \"kinesis\" or \"kafka\""));
  EXPECT_TRUE(has("$.streams.adopt[5].name: \"t2\" is declared twice (in create or adopt)"));
}

}  // namespace
}  // namespace kbridge::config
