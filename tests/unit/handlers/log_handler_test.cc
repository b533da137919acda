#include "handlers/log/log_handler.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "handlers/registry.h"
#include "kinesis/codec.h"

namespace kbridge::handlers {
namespace {

using nlohmann::json;
using runtime::Outcome;
using runtime::Record;

std::vector<std::string> buildErrors(const json& settings) {
  std::vector<std::string> errors;
  auto handler = buildLogHandler(settings, "$.mappings[0].handler", errors);
  EXPECT_EQ(handler == nullptr, !errors.empty());
  return errors;
}

TEST(LogHandlerSettings, DefaultsAreValid) {
  EXPECT_TRUE(buildErrors(json::object()).empty());
  EXPECT_TRUE(
      buildErrors({{"output", "stderr"}, {"format", "json"}, {"max_data_bytes", 0}}).empty());
}

TEST(LogHandlerSettings, ReportsEveryErrorWithItsPath) {
  EXPECT_EQ(
      buildErrors({{"output", ""}, {"format", "xml"}, {"max_data_bytes", -1}, {"colour", true}}),
      (std::vector<std::string>{
          R"($.mappings[0].handler.output: must be "stdout", "stderr" or a file path)",
          R"($.mappings[0].handler.format: must be "text" or "json")",
          "$.mappings[0].handler.max_data_bytes: must be between 0 and 2147483647",
          "$.mappings[0].handler.colour: unknown key"}));
  EXPECT_EQ(buildErrors({{"output", 1}, {"max_data_bytes", "big"}}),
            (std::vector<std::string>{"$.mappings[0].handler.output: must be a string",
                                      "$.mappings[0].handler.max_data_bytes: must be an integer"}));
  EXPECT_EQ(buildErrors(json::array()),
            (std::vector<std::string>{"$.mappings[0].handler: must be an object"}));
}

TEST(HandlerRegistry, BuildsTheBuiltinTypesAndReportsUnknownOnes) {
  std::vector<std::string> errors;
  EXPECT_NE(buildHandler("log", json::object(), "$.h", errors), nullptr);
  EXPECT_NE(buildHandler("webhook", {{"url", "http://127.0.0.1:1/"}}, "$.h", errors), nullptr);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(buildHandler("lambda", json::object(), "$.h", errors), nullptr);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(
      errors[0],
      R"($.h.type: unknown handler type "lambda" (known: archive, log, metrics, null, table, webhook))");
}

// A file in the temp directory, removed afterwards.
class TempFile {
 public:
  TempFile() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("kbridge-log-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove(path_);
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }
  std::string read() const {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::stringstream s(read());
    for (std::string line; std::getline(s, line);) out.push_back(line);
    return out;
  }

 private:
  std::filesystem::path path_;
};

runtime::HandlerContext context() {
  runtime::HandlerContext c;
  c.mappingName = "consumer";
  c.streamName = "MyStream";
  c.streamArn = "arn:aws:kinesis:us-east-1:000000000000:stream/MyStream";
  c.region = "us-east-1";
  c.accountId = "000000000000";
  return c;
}

Record record(std::string seq, std::string key, std::string data, std::int64_t arrivalMs = 0) {
  Record r;
  r.sequenceNumber = std::move(seq);
  r.partitionKey = std::move(key);
  r.data = std::move(data);
  r.arrivalMs = arrivalMs;
  return r;
}

std::unique_ptr<runtime::Handler> openLog(const json& settings) {
  std::vector<std::string> errors;
  auto handler = buildLogHandler(settings, "$.h", errors);
  EXPECT_TRUE(errors.empty()) << errors.front();
  if (handler) {
    EXPECT_EQ(handler->open(context()), "");
  }
  return handler;
}

TEST(LogHandler, WritesOneTextLinePerRecord) {
  TempFile file;
  auto handler = openLog({{"output", file.path()}, {"max_data_bytes", 8}});
  const std::vector<Record> records{
      record("101", "pk-1", R"({"message":"Hi"})"),          // truncated at 8 bytes
      record("102", "pk 2", "two\nlines\t\\"),               // control characters escaped
      record("103", "pk3", std::string("\x00\x01\xff", 3)),  // not UTF-8: base64
      record("104", "caf\xC3\xA9", "\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC"),  // cut before a €
      record("105", "k", "")};
  EXPECT_EQ(handler->deliver({"shardId-000000000000", 0, records}).outcome, Outcome::kOk);
  EXPECT_EQ(
      file.lines(),
      (std::vector<std::string>{
          R"([consumer] shardId-000000000000 101 partitionKey=pk-1 data={"messag (truncated, 16 bytes))",
          R"([consumer] shardId-000000000000 102 partitionKey=pk 2 data=two\nline (truncated, 11 bytes))",
          "[consumer] shardId-000000000000 103 partitionKey=pk3 data_base64=AAH/",
          "[consumer] shardId-000000000000 104 partitionKey=caf\xC3\xA9 "
          "data=\xE2\x82\xAC\xE2\x82\xAC (truncated, 9 bytes)",
          "[consumer] shardId-000000000000 105 partitionKey=k data="}));
  handler->close();
}

TEST(LogHandler, AppendsToAnExistingFileAndWritesWholeDataWithoutALimit) {
  TempFile file;
  { std::ofstream(file.path()) << "earlier line\n"; }
  auto handler = openLog({{"output", file.path()}, {"max_data_bytes", 0}});
  const std::string big(5000, 'x');
  const std::vector<Record> records{record("7", "k", big)};
  EXPECT_EQ(handler->deliver({"shardId-000000000002", 2, records}).outcome, Outcome::kOk);
  EXPECT_EQ(file.lines(),
            (std::vector<std::string>{
                "earlier line", "[consumer] shardId-000000000002 7 partitionKey=k data=" + big}));
}

TEST(LogHandler, JsonFormatWritesLambdasRecordPerLine) {
  TempFile file;
  auto handler = openLog({{"output", file.path()}, {"format", "json"}, {"max_data_bytes", 4}});
  const std::vector<Record> records{record("11", "a", "Hello", 1545084650987),
                                    record("12", "b", "Hi", 1545084651000)};
  EXPECT_EQ(handler->deliver({"shardId-000000000001", 1, records}).outcome, Outcome::kOk);
  const auto lines = file.lines();
  ASSERT_EQ(lines.size(), 2u);
  const auto first = json::parse(lines[0]);
  EXPECT_EQ(first["kinesis"]["partitionKey"], "a");
  EXPECT_EQ(first["kinesis"]["sequenceNumber"], "11");
  EXPECT_EQ(first["kinesis"]["data"], kinesis::base64Encode("Hell"));  // max_data_bytes 4
  EXPECT_EQ(first["kinesis"]["approximateArrivalTimestamp"], 1545084650.987);
  EXPECT_EQ(first["eventID"], "shardId-000000000001:11");
  EXPECT_EQ(first["eventSourceARN"], "arn:aws:kinesis:us-east-1:000000000000:stream/MyStream");
  EXPECT_EQ(json::parse(lines[1])["kinesis"]["data"], kinesis::base64Encode("Hi"));
}

TEST(LogHandler, ConcurrentBatchesDoNotInterleave) {
  TempFile file;
  auto handler = openLog({{"output", file.path()}});
  constexpr int kThreads = 4;
  constexpr int kBatches = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<Record> records;
      for (int i = 0; i < 10; ++i) {
        records.push_back(
            record(std::to_string(i), "t" + std::to_string(t), std::string(100, 'a' + t)));
      }
      const std::string shard = "shardId-00000000000" + std::to_string(t);
      for (int b = 0; b < kBatches; ++b) {
        EXPECT_EQ(handler->deliver({shard, t, records}).outcome, Outcome::kOk);
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto lines = file.lines();
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kThreads * kBatches * 10));
  // Each batch's ten lines are contiguous and in order.
  for (std::size_t i = 0; i < lines.size(); i += 10) {
    const std::string shard = lines[i].substr(0, lines[i].find(' ', 11));
    for (std::size_t k = 0; k < 10; ++k) {
      EXPECT_EQ(lines[i + k].rfind(shard + " " + std::to_string(k) + " ", 0), 0u) << lines[i + k];
    }
  }
}

TEST(LogHandler, AWriteErrorIsRetryLater) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  auto handler = openLog({{"output", "/dev/full"}});
  const std::vector<Record> records{record("1", "k", "data")};
  const auto result = handler->deliver({"shardId-000000000000", 0, records});
  EXPECT_EQ(result.outcome, Outcome::kRetryLater);
  EXPECT_NE(result.error.find("/dev/full"), std::string::npos) << result.error;
}

TEST(LogHandler, OpenReportsAnOutputThatCannotBeOpened) {
  std::vector<std::string> errors;
  auto handler = buildLogHandler({{"output", "/nonexistent-dir/kbridge/log.txt"}}, "$.h", errors);
  ASSERT_NE(handler, nullptr);
  const std::string why = handler->open(context());
  EXPECT_NE(why.find("/nonexistent-dir/kbridge/log.txt"), std::string::npos) << why;
}

}  // namespace
}  // namespace kbridge::handlers
