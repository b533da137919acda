// The config's `sources` section: every key, defaults, and every error with its JSON path.

#include <gtest/gtest.h>

#include "config/config.h"

namespace kbridge::config {
namespace {

std::vector<std::string> errorsOf(const std::string& sources) {
  ConfigErrors errors;
  auto c = parseConfig(R"({"sources":)" + sources + "}", {}, errors);
  EXPECT_FALSE(c);
  return errors.errors;
}

TEST(SourceConfig, ReadsEveryKey) {
  ConfigErrors errors;
  auto c = parseConfig(R"({"sources":[
      {"name":"url-ingest","type":"http_poll","stream":"data-ingestion-stream","interval_s":300,
       "url":"https://example.test/data.json","connect_timeout_ms":1000,"timeout_ms":3000,
       "max_response_bytes":65536,"user_agent":"kbridge-test","headers":{"Authorization":"x"},
       "partition_key":"k-${count}","enabled":false},
      {"name":"producer","type":"generator","stream":"MyStream","interval_s":1,
       "template":{"message":"Hello from producer","time":"${time}"}}]})",
                       {}, errors);
  ASSERT_TRUE(c) << errors.errors.front();
  ASSERT_EQ(c->sources.size(), 2u);
  const auto& poll = c->sources[0];
  EXPECT_EQ(poll.name, "url-ingest");
  EXPECT_EQ(poll.type, SourceType::kHttpPoll);
  EXPECT_EQ(poll.stream, "data-ingestion-stream");
  EXPECT_EQ(poll.intervalS, 300);
  EXPECT_EQ(poll.url, "https://example.test/data.json");
  EXPECT_EQ(poll.connectTimeoutMs, 1000);
  EXPECT_EQ(poll.timeoutMs, 3000);
  EXPECT_EQ(poll.maxResponseBytes, 65536);
  EXPECT_EQ(poll.userAgent, "kbridge-test");
  EXPECT_EQ(poll.headers.at("Authorization"), "x");
  EXPECT_EQ(poll.partitionKey, "k-${count}");
  EXPECT_FALSE(poll.enabled);
  const auto& gen = c->sources[1];
  EXPECT_EQ(gen.type, SourceType::kGenerator);
  EXPECT_EQ(gen.intervalS, 1);
  EXPECT_TRUE(gen.enabled);
  EXPECT_EQ(gen.recordTemplate,
            nlohmann::json({{"message", "Hello from producer"}, {"time", "${time}"}}));
  EXPECT_EQ(gen.partitionKey, "partition-${epoch_ms}-${random}");
}

TEST(SourceConfig, Defaults) {
  ConfigErrors errors;
  auto c = parseConfig(R"({"sources":[
      {"name":"p","type":"http_poll","stream":"s","interval_s":0,"url":"http://h/x"},
      {"name":"g","type":"generator","stream":"s","interval_s":300}]})",
                       {}, errors);
  ASSERT_TRUE(c) << errors.errors.front();
  EXPECT_EQ(c->sources[0].connectTimeoutMs, 5000);
  EXPECT_EQ(c->sources[0].timeoutMs, 10000);
  EXPECT_EQ(c->sources[0].maxResponseBytes, 10 * 1024 * 1024);
  EXPECT_EQ(c->sources[0].userAgent, "kbridge");
  EXPECT_EQ(c->sources[1].recordTemplate,
            nlohmann::json({{"message", "Hello"}, {"time", "${epoch_ms}"}}));
  ConfigErrors none;
  auto empty = parseConfig("{}", {}, none);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->sources.empty());
}

TEST(SourceConfig, ReportsEveryErrorWithItsPath) {
  const auto errors = errorsOf(R"([
      {"type":"http_poll","interval_s":-1,"url":"ftp://x","timeout_ms":0,"template":{}},
      {"name":"g","type":"generator","stream":"s","interval_s":5,"url":"http://x/",
       "template":{"t":"${when}"},"partition_key":"${nope}","colour":"red"},
      {"name":"g","type":"cron","stream":"s","interval_s":"5"},
      "not an object"])");
  const std::vector<std::string> expected{
      "$.sources[0].name: is required",
      "$.sources[0].stream: is required",
      "$.sources[0].interval_s: must be between 0 and 604800",
      "$.sources[0].url: must be an http:// or https:// URL",
      "$.sources[0].timeout_ms: must be between 1 and 900000",
      "$.sources[0].template: is allowed only with type \"generator\"",
      "$.sources[1].partition_key: unknown placeholder \"${nope}\"",
      "$.sources[1].url: is allowed only with type \"http_poll\"",
      "$.sources[1].template.t: unknown placeholder \"${when}\"",
      "$.sources[1].colour: unknown key",
      "$.sources[2].type: must be \"http_poll\" or \"generator\"",
      "$.sources[2].interval_s: must be an integer",
      "$.sources[2].name: \"g\" is used twice",
      "$.sources[3]: must be an object",
  };
  for (const auto& want : expected) {
    bool found = false;
    for (const auto& e : errors) found = found || e.rfind(want, 0) == 0;
    EXPECT_TRUE(found) << "missing: " << want;
  }
  EXPECT_EQ(errors.size(), expected.size()) << [&] {
    std::string all;
    for (const auto& e : errors) all += e + "\n";
    return all;
  }();
}

TEST(SourceConfig, RequiredKeys) {
  const auto errors = errorsOf(R"([{"name":"p","type":"http_poll","stream":"s"}, {}])");
  const std::vector<std::string> expected{
      "$.sources[0].interval_s: is required (seconds between runs; 0 = only when triggered)",
      "$.sources[0].url: is required with type \"http_poll\"",
      "$.sources[1].name: is required",
      "$.sources[1].type: is required (\"http_poll\" or \"generator\")",
      "$.sources[1].stream: is required",
      "$.sources[1].interval_s: is required (seconds between runs; 0 = only when triggered)",
  };
  EXPECT_EQ(errors, expected);
  EXPECT_EQ(errorsOf(R"({"name":"x"})"), std::vector<std::string>{"$.sources: must be an array"});
}

}  // namespace
}  // namespace kbridge::config
