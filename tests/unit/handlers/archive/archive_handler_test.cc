#include "handlers/archive/archive_handler.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/clock.h"
#include "handlers/archive/manifest.h"
#include "handlers/archive/offset_ranges.h"
#include "ops/metrics.h"

namespace kbridge::handlers::archive {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using runtime::Outcome;
using runtime::Record;

constexpr std::int64_t kT = 1763794862123;  // 2025-11-22T07:01:02.123Z

std::string gunzip(const fs::path& p) {
  gzFile f = gzopen(p.c_str(), "rb");
  EXPECT_TRUE(f);
  std::string out;
  char buf[4096];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  gzclose(f);
  return out;
}

class ArchiveHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("kbridge-archive-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<runtime::Handler> make(json settings) {
    settings["destination"] = {{"path", dir_.string()}};
    std::vector<std::string> errors;
    auto s = parseArchiveSettings(settings, "$.h", errors);
    EXPECT_TRUE(s) << (errors.empty() ? "" : errors.front());
    auto h = makeArchiveHandler(std::move(*s), /*intervalThread=*/false);
    runtime::HandlerContext ctx;
    ctx.mappingName = "lake";
    ctx.streamName = "data";
    ctx.clock = &clock_;
    ctx.metrics = &metrics_;
    EXPECT_EQ(h->open(ctx), "");
    return h;
  }

  static std::vector<Record> records(std::int64_t first, std::int64_t count,
                                     std::int64_t arrival = kT) {
    std::vector<Record> out;
    for (std::int64_t o = first; o < first + count; ++o) {
      Record r;
      r.offset = o;
      r.sequenceNumber = std::to_string(1000 + o);
      r.partitionKey = "k";
      r.data = "{\"n\":" + std::to_string(o) + ",\"c\":\"c" + std::to_string(o % 3) + "\"}";
      r.arrivalMs = arrival;
      out.push_back(r);
    }
    return out;
  }

  Outcome deliver(runtime::Handler& h, const std::vector<Record>& rs, std::int32_t partition = 0) {
    runtime::Batch b;
    b.partition = partition;
    b.shardId = partition == 0 ? "shardId-000000000000" : "shardId-000000000001";
    b.records = rs;
    return h.deliver(b).outcome;
  }

  // Every published object's records, by relative path (state directory excluded).
  std::map<std::string, std::vector<std::string>> objects() {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& e : fs::recursive_directory_iterator(dir_)) {
      const auto rel = fs::relative(e.path(), dir_).string();
      if (!e.is_regular_file() || rel.starts_with(".kbridge")) continue;
      std::istringstream in(gunzip(e.path()));
      for (std::string line; std::getline(in, line);) out[rel].push_back(line);
    }
    return out;
  }

  std::multiset<std::string> allRecords() {
    std::multiset<std::string> all;
    for (const auto& [_, lines] : objects()) all.insert(lines.begin(), lines.end());
    return all;
  }

  static std::multiset<std::string> expected(std::int64_t first, std::int64_t count) {
    std::multiset<std::string> out;
    for (const auto& r : records(first, count)) out.insert(r.data);
    return out;
  }

  // The value of one series in the registry's exposition ("" when absent).
  std::string series(const std::string& nameAndLabels) {
    std::istringstream in(metrics_.render());
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with(nameAndLabels + " ")) return line.substr(nameAndLabels.size() + 1);
    }
    return "";
  }

  fs::path dir_;
  ManualClock clock_{kT};
  ops::MetricsRegistry metrics_;
};

const json kSeed = {
    {"prefix",
     "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"},
    {"error_output_prefix", "errors/"},
    {"buffering", {{"size_mib", 1}, {"interval_s", 60}}},
    {"compression", "gzip"}};

TEST_F(ArchiveHandlerTest, BuffersUntilIntervalThenPublishesUnderTheTimePrefix) {
  auto h = make(kSeed);
  EXPECT_EQ(deliver(*h, records(0, 10)), Outcome::kOk);
  EXPECT_EQ(h->durableOffset(0), 0);
  EXPECT_TRUE(objects().empty());
  clock_.advance(59'999);
  publishDue(*h);
  EXPECT_TRUE(objects().empty());
  clock_.advance(1);
  publishDue(*h);  // idle, but due: published without new records
  EXPECT_EQ(h->durableOffset(0), std::nullopt);
  const auto objs = objects();
  ASSERT_EQ(objs.size(), 1u);
  EXPECT_EQ(objs.begin()->first,
            "year=2025/month=11/day=22/hour=07/data-shardId-000000000000-1000.gz");
  EXPECT_EQ(allRecords(), expected(0, 10));
  h->close();
}

TEST_F(ArchiveHandlerTest, CountsPublishedObjectsRecordsAndBytes) {
  auto h = make(kSeed);
  ASSERT_EQ(deliver(*h, records(0, 10)), Outcome::kOk);
  // The exposition sorts labels by name.
  const std::string data = R"({mapping="lake",prefix="data",stream="data"})";
  const std::string error = R"({mapping="lake",prefix="error",stream="data"})";
  const std::string plain = R"({mapping="lake",stream="data"})";
  EXPECT_EQ(series("kbridge_archive_objects_total" + data), "0");
  clock_.advance(60'000);
  publishDue(*h);
  const auto objs = objects();
  ASSERT_EQ(objs.size(), 1u);
  std::int64_t raw = 0;
  for (const auto& r : records(0, 10)) raw += static_cast<std::int64_t>(r.data.size()) + 1;
  const auto stored = fs::file_size(dir_ / objs.begin()->first);
  EXPECT_EQ(series("kbridge_archive_objects_total" + data), "1");
  EXPECT_EQ(series("kbridge_archive_objects_total" + error), "0");
  EXPECT_EQ(series("kbridge_archive_records_total" + plain), "10");
  EXPECT_EQ(series(R"(kbridge_archive_bytes_total{mapping="lake",stage="raw",stream="data"})"),
            std::to_string(raw));
  EXPECT_EQ(series(R"(kbridge_archive_bytes_total{mapping="lake",stage="stored",stream="data"})"),
            std::to_string(stored));
  EXPECT_EQ(series("kbridge_archive_publish_failures_total" + plain), "0");
  h->close();
}

TEST_F(ArchiveHandlerTest, RotatesOnSizeMeasuredBeforeCompression) {
  auto h = make(kSeed);
  std::vector<Record> big;
  for (int i = 0; i < 5; ++i) {
    Record r;
    r.offset = i;
    r.sequenceNumber = std::to_string(i);
    r.data = std::string(400 * 1024, static_cast<char>('a' + i));  // compresses to almost nothing
    r.arrivalMs = kT;
    big.push_back(r);
  }
  EXPECT_EQ(deliver(*h, big), Outcome::kOk);
  // 3 × 400 KiB passes 1 MiB: offsets 0–2 published, 3–4 buffered.
  EXPECT_EQ(objects().size(), 1u);
  EXPECT_EQ(h->durableOffset(0), 3);
  h->flush();
  EXPECT_EQ(objects().size(), 2u);
  EXPECT_EQ(h->durableOffset(0), std::nullopt);
}

TEST_F(ArchiveHandlerTest, RecordsOfAnotherHourGoToAnotherObject) {
  auto h = make(kSeed);
  EXPECT_EQ(deliver(*h, records(0, 3)), Outcome::kOk);
  EXPECT_EQ(deliver(*h, records(3, 3, kT + 3600 * 1000)), Outcome::kOk);
  h->flush();
  const auto objs = objects();
  ASSERT_EQ(objs.size(), 2u);
  EXPECT_EQ(objs.begin()->first,
            "year=2025/month=11/day=22/hour=07/data-shardId-000000000000-1000.gz");
  EXPECT_EQ(std::next(objs.begin())->first,
            "year=2025/month=11/day=22/hour=08/data-shardId-000000000000-1003.gz");
}

TEST_F(ArchiveHandlerTest, ReplayAfterACrashSkipsWhatIsPublished) {
  {
    auto h = make(kSeed);
    EXPECT_EQ(deliver(*h, records(0, 5)), Outcome::kOk);
    h->flush();  // 0–4 published
    EXPECT_EQ(deliver(*h, records(5, 5)), Outcome::kOk);
    EXPECT_EQ(h->durableOffset(0), 5);
    // "Crash": the handler goes away without flushing; 5–9 were never published.
  }
  auto h = make(kSeed);
  // The runtime replays from a checkpoint at or below 5, here from 0.
  EXPECT_EQ(deliver(*h, records(0, 10)), Outcome::kOk);
  EXPECT_EQ(h->durableOffset(0), 5);
  h->flush();
  EXPECT_EQ(allRecords(), expected(0, 10));
  EXPECT_EQ(objects().size(), 2u);
}

TEST_F(ArchiveHandlerTest, SettlesAPendingIntentByTheObjectsExistence) {
  const std::string state = archiveStateDir(dir_.string(), "lake");
  fs::create_directories(state);
  fs::create_directories(dir_ / "p");
  std::ofstream(dir_ / "p" / "obj-a") << "x\n";
  {
    std::ofstream m(state + "/shardId-000000000000.manifest");
    m << R"({"intent":"p/obj-a","offsets":[[0,3]],"records":3})"
      << "\n";
    m << R"({"done":"p/obj-a"})"
      << "\n";
    m << R"({"intent":"p/obj-b","offsets":[[3,6]],"records":3})"
      << "\n";                            // renamed? no
    m << R"({"intent":"p/obj-c","offs)";  // torn
  }
  OffsetRanges published;
  std::string error;
  auto manifest =
      Manifest::open(state + "/shardId-000000000000.manifest", dir_.string(), published, error);
  ASSERT_TRUE(manifest) << error;
  OffsetRanges want;
  want.addRange(0, 3);
  EXPECT_EQ(published, want);
  manifest.reset();
  std::ifstream in(state + "/shardId-000000000000.manifest");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_TRUE(text.str().ends_with("{\"abort\":\"p/obj-b\"}\n")) << text.str();

  // The same with the object present: it counts as published.
  std::ofstream(dir_ / "p" / "obj-d") << "x\n";
  {
    std::ofstream m(state + "/shardId-000000000001.manifest");
    m << R"({"intent":"p/obj-d","offsets":[[7,9]],"records":2})"
      << "\n";
  }
  OffsetRanges published2;
  ASSERT_TRUE(
      Manifest::open(state + "/shardId-000000000001.manifest", dir_.string(), published2, error));
  EXPECT_TRUE(published2.contains(7) && published2.contains(8) && !published2.contains(9));
}

TEST_F(ArchiveHandlerTest, ReleaseDropsUnpublishedObjects) {
  auto h = make(kSeed);
  EXPECT_EQ(deliver(*h, records(0, 5)), Outcome::kOk);
  EXPECT_EQ(deliver(*h, records(0, 5), 1), Outcome::kOk);
  h->release(0);
  EXPECT_EQ(h->durableOffset(0), std::nullopt);
  EXPECT_EQ(h->durableOffset(1), 0);
  int temps = 0;
  for (const auto& e : fs::directory_iterator(archiveStateDir(dir_.string(), "lake") + "/tmp")) {
    (void)e;
    ++temps;
  }
  EXPECT_EQ(temps, 1);  // shard 1's open object only
  h->flush();
  EXPECT_EQ(objects().size(), 1u);
}

TEST_F(ArchiveHandlerTest, DynamicPartitioningAndErrorRecords) {
  auto h = make({{"prefix", "c=!{partitionKeyFromQuery:c}/"},
                 {"error_output_prefix", "errors/!{firehose:error-output-type}/"},
                 {"partition_keys", {{"c", ".c"}}},
                 {"compression", "gzip"},
                 {"buffering", {{"interval_s", 0}}}});
  auto rs = records(0, 6);
  rs[4].data = "not json";
  rs[5].data = R"({"other":1})";
  EXPECT_EQ(deliver(*h, rs), Outcome::kOk);  // interval 0: published at once
  EXPECT_EQ(h->durableOffset(0), std::nullopt);
  const auto objs = objects();
  std::set<std::string> names;
  for (const auto& [k, _] : objs) names.insert(k);
  EXPECT_EQ(names,
            (std::set<std::string>{
                "c=c0/data-shardId-000000000000-1000.gz", "c=c1/data-shardId-000000000000-1001.gz",
                "c=c2/data-shardId-000000000000-1002.gz",
                "errors/partitioning-failed/2025/11/22/07/data-shardId-000000000000-1004.gz"}));
  EXPECT_EQ(objs.at("c=c0/data-shardId-000000000000-1000.gz").size(), 2u);  // offsets 0 and 3
  const auto& errs =
      objs.at("errors/partitioning-failed/2025/11/22/07/data-shardId-000000000000-1004.gz");
  ASSERT_EQ(errs.size(), 2u);
  const auto e0 = json::parse(errs[0]);
  EXPECT_EQ(e0["errorCode"], "DynamicPartitioning.MetadataExtractionFailed");
  EXPECT_EQ(e0["rawData"], "bm90IGpzb24=");
  EXPECT_EQ(e0["sequenceNumber"], "1004");
}

TEST_F(ArchiveHandlerTest, LeastRecentlyWrittenObjectIsPublishedBeyondTheOpenLimit) {
  auto h = make({{"prefix", "c=!{partitionKeyFromQuery:c}/"},
                 {"error_output_prefix", "errors/"},
                 {"partition_keys", {{"c", "c"}}},
                 {"max_open_objects", 2},
                 {"compression", "gzip"}});
  EXPECT_EQ(deliver(*h, records(0, 2)), Outcome::kOk);  // c0, c1 open
  clock_.advance(1);
  EXPECT_EQ(deliver(*h, records(2, 1)), Outcome::kOk);  // c2 needs a slot: c0 (oldest) goes
  EXPECT_EQ(objects().size(), 1u);
  EXPECT_EQ(h->durableOffset(0), 1);
  h->flush();
  EXPECT_EQ(allRecords(), expected(0, 3));
}

TEST_F(ArchiveHandlerTest, UncompressedWithoutDelimiter) {
  auto h = make({{"record_delimiter", "none"}, {"file_extension", ".bin"}, {"prefix", "raw/"}});
  EXPECT_EQ(deliver(*h, records(0, 2)), Outcome::kOk);
  h->flush();
  std::ifstream in(dir_ / "raw/2025/11/22/07/data-shardId-000000000000-1000.bin");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), R"({"n":0,"c":"c0"}{"n":1,"c":"c1"})");
}

TEST_F(ArchiveHandlerTest, LeastRecentlyWrittenCountsWritesNotMilliseconds) {
  auto h = make({{"prefix", "c=!{partitionKeyFromQuery:c}/"},
                 {"error_output_prefix", "errors/"},
                 {"partition_keys", {{"c", "c"}}},
                 {"max_open_objects", 2},
                 {"compression", "gzip"}});
  auto rs = records(0, 4);  // c0 c1 c2 c0, all in the same millisecond
  std::swap(rs[2], rs[3]);  // c0 c1 c0 c2: c1 is the least recently written when c2 comes
  rs[2].offset = 2;
  rs[3].offset = 3;
  EXPECT_EQ(deliver(*h, rs), Outcome::kOk);
  const auto objs = objects();
  ASSERT_EQ(objs.size(), 1u);
  EXPECT_EQ(objs.begin()->first, "c=c1/data-shardId-000000000000-1001.gz");
}

TEST_F(ArchiveHandlerTest, OpenObjectsAreBoundedAcrossShards) {
  auto h = make({{"prefix", "c=!{partitionKeyFromQuery:c}/"},
                 {"error_output_prefix", "errors/"},
                 {"partition_keys", {{"c", "c"}}},
                 {"max_open_objects", 10},
                 {"max_open_objects_total", 3},
                 {"compression", "gzip"}});
  const auto temps = [&] {
    int n = 0;
    for (const auto& e : fs::directory_iterator(archiveStateDir(dir_.string(), "lake") + "/tmp")) {
      (void)e;
      ++n;
    }
    return n;
  };
  EXPECT_EQ(deliver(*h, records(0, 3), 0), Outcome::kOk);  // shard 0: c0 c1 c2 open
  EXPECT_EQ(temps(), 3);
  EXPECT_TRUE(objects().empty());
  // Shard 1 gets its first object although the total is reached: it publishes nothing yet.
  EXPECT_EQ(deliver(*h, records(0, 1), 1), Outcome::kOk);
  EXPECT_EQ(temps(), 4);
  EXPECT_TRUE(objects().empty());
  // Its second prefix: over the total, so shard 1 publishes its own least recently written.
  EXPECT_EQ(deliver(*h, records(1, 1), 1), Outcome::kOk);
  EXPECT_EQ(temps(), 4);
  ASSERT_EQ(objects().size(), 1u);
  EXPECT_EQ(objects().begin()->first, "c=c0/data-shardId-000000000001-1000.gz");
  EXPECT_EQ(h->durableOffset(1), 1);
  // Shard 0's fourth prefix: the total (4) is over the limit, so shard 0 publishes its own least
  // recently written objects (c0, c1) until a place is free under it; never shard 1's.
  auto r = records(3, 1);
  r[0].data = R"({"c":"c9"})";
  EXPECT_EQ(deliver(*h, r, 0), Outcome::kOk);
  EXPECT_EQ(temps(), 3);
  EXPECT_EQ(objects().size(), 3u);
  EXPECT_EQ(h->durableOffset(0), 2);  // c2 is now shard 0's oldest open object
  EXPECT_EQ(h->durableOffset(1), 1);
  h->release(1);  // dropping a shard frees its places
  EXPECT_EQ(temps(), 2);
  auto r2 = records(4, 1);
  r2[0].data = R"({"c":"c8"})";
  EXPECT_EQ(deliver(*h, r2, 0), Outcome::kOk);
  EXPECT_EQ(temps(), 3);  // under the limit again: nothing published
  EXPECT_EQ(objects().size(), 3u);
  h->flush();
  EXPECT_EQ(temps(), 0);
}

TEST_F(ArchiveHandlerTest, MillisecondPrefixesAreEvaluatedPerRecord) {
  auto h = make({{"prefix", "t=!{timestamp:HHmmssSSS}/"}, {"error_output_prefix", "errors/"}});
  auto rs = records(0, 3);
  rs[1].arrivalMs = kT + 1;
  rs[2].arrivalMs = kT + 1000;
  EXPECT_EQ(deliver(*h, rs), Outcome::kOk);
  h->flush();
  std::set<std::string> names;
  for (const auto& [k, _] : objects()) names.insert(k);
  EXPECT_EQ(names, (std::set<std::string>{"t=070102123/data-shardId-000000000000-1000",
                                          "t=070102124/data-shardId-000000000000-1001",
                                          "t=070103123/data-shardId-000000000000-1002"}));
}

}  // namespace
}  // namespace kbridge::handlers::archive
