#include "handlers/archive/prefix_expression.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "handlers/archive/archive_settings.h"

namespace kbridge::handlers::archive {
namespace {

using nlohmann::json;

constexpr std::int64_t kT = 1763794862123;  // 2025-11-22T07:01:02.123Z

PrefixValues at(std::int64_t ms, const std::map<std::string, std::string>* keys = nullptr,
                std::string_view errorType = "") {
  return {ms, keys, "", errorType};
}

std::string eval(const std::string& text, const std::map<std::string, std::string>& keys = {}) {
  std::string error;
  auto t = PrefixTemplate::parse(text, error);
  EXPECT_TRUE(t) << error;
  if (!t) return "";
  return t->evaluate({kT, &keys, "rnd", "partitioning-failed"});
}

std::string parseError(const std::string& text) {
  std::string error;
  EXPECT_FALSE(PrefixTemplate::parse(text, error)) << text;
  return error;
}

TEST(PrefixExpression, EvaluatesTheSeedPrefix) {
  EXPECT_EQ(
      eval(
          "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"),
      "year=2025/month=11/day=22/hour=07/");
}

TEST(PrefixExpression, TimestampPatternSubset) {
  EXPECT_EQ(eval("!{timestamp:yyyy-MM-dd'T'HH:mm:ss.SSS}"), "2025-11-22T07:01:02.123");
  EXPECT_EQ(eval("!{timestamp:yy/M/d/H/m/s}"), "25/11/22/7/1/2");
  EXPECT_EQ(eval("!{timestamp:'it''s' yyyy}"), "it's 2025");
  EXPECT_EQ(eval("!{timestamp:yyyy/MM/dd/HH/}"), "2025/11/22/07/");
  std::string error;
  auto t = PrefixTemplate::parse("!{timestamp:yyyy-MM-dd HH}", error);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->evaluate(at(0)), "1970-01-01 00");
  EXPECT_EQ(t->evaluate(at(951782400000)), "2000-02-29 00");  // a leap day
}

TEST(PrefixExpression, OtherNamespaces) {
  EXPECT_EQ(eval("c=!{partitionKeyFromQuery:customer}/!{firehose:random-string}/",
                 {{"customer", "acme"}}),
            "c=acme/rnd/");
  EXPECT_EQ(eval("errors/!{firehose:error-output-type}/"), "errors/partitioning-failed/");
  EXPECT_EQ(eval("plain/"), "plain/");
  EXPECT_EQ(randomString(12345).size(), 11u);
}

TEST(PrefixExpression, RejectsInvalidExpressions) {
  EXPECT_EQ(parseError("a/!{timestamp:yyyy"),
            R"(unterminated expression at character 2 ("!{" without "}"))");
  EXPECT_EQ(
      parseError("!{nope:x}"),
      R"(unknown expression namespace "nope" (known: timestamp, partitionKeyFromQuery, firehose))");
  EXPECT_EQ(
      parseError("!{firehose:uuid}"),
      R"(unknown firehose expression "!{firehose:uuid}" (known: random-string, error-output-type))");
  EXPECT_EQ(parseError("!{timestamp:yyyy-QQ}"),
            "!{timestamp:yyyy-QQ}: unsupported timestamp pattern letter 'Q' (supported: yyyy, yy, "
            "MM, dd, HH, mm, ss, SSS, 'literal')");
  EXPECT_EQ(parseError("!{timestamp:yyy}"),
            "!{timestamp:yyy}: unsupported timestamp field \"yyy\"");
  EXPECT_EQ(parseError("!{timestamp:}"), "!{timestamp:}: empty timestamp pattern");
  EXPECT_EQ(parseError("!{timestamp:'abc}"),
            "!{timestamp:'abc}: unterminated quoted literal in timestamp pattern \"'abc\"");
  EXPECT_EQ(parseError("!{partitionKeyFromQuery:}"), "!{partitionKeyFromQuery:} needs a key name");
  EXPECT_EQ(parseError("!{timestamp}"),
            R"(expression "!{timestamp}" must be "!{namespace:value}")");
}

std::vector<std::string> settingsErrors(const json& settings) {
  std::vector<std::string> errors;
  auto s = parseArchiveSettings(settings, "$.h", errors);
  EXPECT_EQ(!s, !errors.empty());
  return errors;
}

TEST(ArchiveSettings, SeedSettingsAndDefaults) {
  std::vector<std::string> errors;
  auto s = parseArchiveSettings(
      {{"destination", {{"path", "/tmp/lake"}}},
       {"prefix",
        "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"},
       {"error_output_prefix", "errors/"},
       {"buffering", {{"size_mib", 5}, {"interval_s", 300}}},
       {"compression", "GZIP"}},
      "$.h", errors);
  ASSERT_TRUE(s) << errors.front();
  EXPECT_EQ(s->bufferSizeBytes, 5u * 1024 * 1024);
  EXPECT_EQ(s->bufferIntervalMs, 300000);
  EXPECT_EQ(s->compression, Compression::kGzip);
  EXPECT_EQ(s->fileExtension, ".gz");
  EXPECT_TRUE(s->newlineDelimiter);
  EXPECT_EQ(s->prefix.evaluate(at(kT)), "year=2025/month=11/day=22/hour=07/");
  // Firehose appends the default timestamp to a prefix without one.
  EXPECT_EQ(s->errorPrefix.evaluate(at(kT)), "errors/2025/11/22/07/");

  s = parseArchiveSettings({{"destination", {{"path", "/tmp/lake"}}}}, "$.h", errors);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->prefix.evaluate(at(kT)), "2025/11/22/07/");
  EXPECT_EQ(s->errorPrefix.evaluate(at(kT, nullptr, "partitioning-failed")),
            "partitioning-failed/2025/11/22/07/");
  EXPECT_EQ(s->compression, Compression::kNone);
  EXPECT_EQ(s->fileExtension, "");

  // Dynamically partitioned: no default timestamp.
  s = parseArchiveSettings({{"destination", {{"path", "/tmp/lake"}}},
                            {"prefix", "c=!{partitionKeyFromQuery:c}/"},
                            {"error_output_prefix", "err/!{firehose:error-output-type}/"},
                            {"partition_keys", {{"c", ".customer.id"}}}},
                           "$.h", errors);
  ASSERT_TRUE(s);
  std::map<std::string, std::string> keys{{"c", "x"}};
  EXPECT_EQ(s->prefix.evaluate(at(kT, &keys)), "c=x/");
  EXPECT_EQ(s->partitionKeys.at("c"), (std::vector<std::string>{"customer", "id"}));
}

TEST(ArchiveSettings, ARelativeDirectoryIsTheWorkingDirectorys) {
  std::vector<std::string> errors;
  auto s =
      parseArchiveSettings({{"destination", {{"path", "./lake/data-pipeline/"}}}}, "$.h", errors);
  ASSERT_TRUE(s) << ::testing::PrintToString(errors);
  EXPECT_EQ(s->destinationPath, (std::filesystem::current_path() / "lake/data-pipeline").string());
}

TEST(ArchiveSettings, ReportsEveryErrorWithItsPath) {
  EXPECT_EQ(settingsErrors({{"prefix", "!{timestamp:HH}/"},
                            {"buffering", {{"size_mib", 0}, {"interval_s", 901}, {"x", 1}}},
                            {"compression", "zstd"},
                            {"compression_level", 10},
                            {"record_delimiter", "comma"},
                            {"file_extension", "gz"},
                            {"colour", 1}}),
            (std::vector<std::string>{
                "$.h.destination: required: {\"path\": DIR}",
                "$.h.buffering.size_mib: must be between 1 and 128",
                "$.h.buffering.interval_s: must be between 0 and 900",
                "$.h.buffering.x: unknown key", "$.h.compression: must be \"none\" or \"gzip\"",
                "$.h.compression_level: must be between 1 and 9",
                "$.h.record_delimiter: must be \"none\" or \"newline\"",
                "$.h.file_extension: must start with '.' and use only letters, digits and !-_.*'()",
                "$.h.colour: unknown key",
                "$.h.error_output_prefix: required when prefix has expressions (Firehose rule)"}));
  EXPECT_EQ(
      settingsErrors({{"destination", {{"path", ""}}}, {"prefix", "!{bad:x}"}}),
      (std::vector<std::string>{
          "$.h.destination.path: required: the archive's directory",
          R"($.h.prefix: unknown expression namespace "bad" (known: timestamp, partitionKeyFromQuery, firehose))"}));
  EXPECT_EQ(settingsErrors({{"destination", {{"path", "/d"}}},
                            {"prefix", "!{firehose:error-output-type}/!{partitionKeyFromQuery:k}/"},
                            {"error_output_prefix", "e/!{partitionKeyFromQuery:k}/"}}),
            (std::vector<std::string>{
                "$.h.prefix: !{firehose:error-output-type} is only for error_output_prefix",
                "$.h.prefix: !{partitionKeyFromQuery:k} names no key of partition_keys",
                "$.h.error_output_prefix: !{partitionKeyFromQuery:...} is not allowed here"}));
  EXPECT_EQ(settingsErrors({{"destination", {{"path", "rel"}}}, {"partition_keys", {{"k", ""}}}}),
            (std::vector<std::string>{
                "$.h.partition_keys.k: must be a JSON field path such as \".customer_id\""}));
}

}  // namespace
}  // namespace kbridge::handlers::archive
