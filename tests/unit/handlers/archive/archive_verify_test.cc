#include "handlers/archive/archive_verify.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/clock.h"
#include "handlers/archive/archive_handler.h"

namespace kbridge::handlers::archive {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::int64_t kT = 1763794862123;  // 2025-11-22T07:01:02.123Z

class ArchiveVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("kbridge-verify-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::vector<std::string> errors;
    settings_ = *parseArchiveSettings({{"destination", {{"path", dir_.string()}}},
                                       {"prefix", "p/"},
                                       {"compression", "gzip"},
                                       {"buffering", {{"interval_s", 60}}}},
                                      "$.h", errors);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Archives offsets [first, end) of shard 0, one object per `perObject` records.
  void archive(std::int64_t first, std::int64_t end, std::int64_t perObject) {
    auto h = makeArchiveHandler(settings_, /*intervalThread=*/false);
    runtime::HandlerContext ctx;
    ctx.mappingName = "lake";
    ctx.streamName = "data";
    ctx.clock = &clock_;
    ASSERT_EQ(h->open(ctx), "");
    for (std::int64_t o = first; o < end; o += perObject) {
      std::vector<runtime::Record> rs;
      for (std::int64_t i = o; i < std::min(end, o + perObject); ++i) {
        runtime::Record r;
        r.offset = i;
        r.sequenceNumber = std::to_string(1000 + i);
        r.data = "{\"n\":" + std::to_string(i) + "}";
        r.arrivalMs = kT;
        rs.push_back(r);
      }
      runtime::Batch b;
      b.shardId = "shardId-000000000000";
      b.records = rs;
      ASSERT_EQ(h->deliver(b).outcome, runtime::Outcome::kOk);
      h->flush();
    }
    h->close();
  }

  int verify(const TopicView* topic, std::string& text, std::string* progressText = nullptr,
             std::int64_t progressEvery = 1000) {
    std::ostringstream out, progress;
    VerifyOptions options;
    options.topic = topic;
    options.progressEveryObjects = progressEvery;
    const int rc = verifyArchive(settings_, "lake", out, progress, options);
    text = out.str();
    if (progressText) *progressText = progress.str();
    return rc;
  }

  static TopicView topic(std::int64_t low, std::int64_t high, std::optional<std::int64_t> committed,
                         bool fromTrimHorizon = true) {
    TopicView t;
    t.topic = "data";
    t.fromTrimHorizon = fromTrimHorizon;
    t.shards[0] = {low, high, committed};
    return t;
  }

  fs::path dir_;
  ArchiveSettings settings_;
  ManualClock clock_{kT};
};

TEST_F(ArchiveVerifyTest, AnArchiveAloneAndWithItsTopic) {
  archive(0, 10, 5);
  std::string text;
  EXPECT_EQ(verify(nullptr, text), 0) << text;
  EXPECT_NE(text.find("shardId-000000000000: 2 objects, 10 records (0 in the error prefix); "
                      "covered [0,10); gaps none (0 offsets); duplicates none (0 offsets)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("OK: 10 records in 2 objects, 0 in the error prefix\n"), std::string::npos);

  // The topic has 5 more records past the checkpoint: still to come, not an error.
  const auto t = topic(0, 15, 10);
  EXPECT_EQ(verify(&t, text), 0) << text;
  EXPECT_NE(text.find("topic data, 1 shards\n"), std::string::npos) << text;
  EXPECT_NE(text.find("shardId-000000000000: topic offsets [0,15), checkpoint 10; 2 objects"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("; not yet archived [10,15) (5 offsets)"), std::string::npos) << text;
  EXPECT_NE(text.find("OK: 10 records in 2 objects, 0 in the error prefix; 5 records of the "
                      "topic not yet archived\n"),
            std::string::npos)
      << text;
}

TEST_F(ArchiveVerifyTest, CommittedButNotArchivedIsAGap) {
  archive(0, 10, 5);
  std::string text;
  const auto t = topic(0, 15, 12);
  EXPECT_EQ(verify(&t, text), 1) << text;
  EXPECT_NE(text.find("gaps [10,12) (2 offsets)"), std::string::npos) << text;
  EXPECT_NE(text.find("not yet archived [12,15) (3 offsets)"), std::string::npos) << text;
  EXPECT_NE(text.find("FAIL: 10 records"), std::string::npos) << text;
}

TEST_F(ArchiveVerifyTest, RecordsBeforeTheArchiveDependOnTheStartingPosition) {
  archive(5, 10, 5);
  std::string text;
  const auto fromStart = topic(0, 10, 10);
  EXPECT_EQ(verify(&fromStart, text), 1) << text;
  EXPECT_NE(text.find("gaps [0,5) (5 offsets)"), std::string::npos) << text;
  const auto latest = topic(0, 10, 10, /*fromTrimHorizon=*/false);
  EXPECT_EQ(verify(&latest, text), 0) << text;
  EXPECT_NE(text.find("; before the archive, not checked (starting position) [0,5) (5 offsets)"),
            std::string::npos)
      << text;
  // Retention removed them: nothing to compare.
  const auto trimmed = topic(5, 10, 10);
  EXPECT_EQ(verify(&trimmed, text), 0) << text;
}

TEST_F(ArchiveVerifyTest, GapsAndDuplicatesInsideTheArchive) {
  archive(0, 4, 4);
  archive(6, 10, 4);
  // A second object covering 2..3 again (as a broken archiver would write it).
  const std::string state = archiveStateDir(dir_.string(), "lake");
  fs::create_directories(dir_ / "q");
  std::ofstream(dir_ / "q" / "dup") << "{\"n\":2}\n{\"n\":3}\n";
  std::ofstream(state + "/shardId-000000000000.manifest", std::ios::app)
      << R"({"intent":"q/dup","offsets":[[2,4]],"records":2})"
      << "\n"
      << R"({"done":"q/dup"})"
      << "\n";
  std::string text;
  EXPECT_EQ(verify(nullptr, text), 1) << text;
  EXPECT_NE(text.find("gaps [4,6) (2 offsets); duplicates [2,4) (2 offsets)"), std::string::npos)
      << text;
  // Within the checkpoint, the topic's view says the same.
  const auto t = topic(0, 10, 10);
  EXPECT_EQ(verify(&t, text), 1) << text;
  EXPECT_NE(text.find("gaps [4,6) (2 offsets); duplicates [2,4) (2 offsets)"), std::string::npos)
      << text;
}

TEST_F(ArchiveVerifyTest, AShardWithoutManifestAndProgress) {
  archive(0, 10, 2);
  auto t = topic(0, 10, 10);
  t.shards[1] = {0, 3, std::nullopt};  // nothing archived or committed yet
  std::string text, progress;
  EXPECT_EQ(verify(&t, text, &progress, /*progressEvery=*/2), 0) << text;
  EXPECT_NE(text.find("shardId-000000000001: topic offsets [0,3), checkpoint none; no manifest; "
                      "0 objects, 0 records"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("not yet archived [0,3) (3 offsets)"), std::string::npos) << text;
  EXPECT_NE(progress.find("archive verify: 2/5 manifest entries (40 %), 2 records so far, at "
                          "shardId-000000000000\n"),
            std::string::npos)
      << progress;
  EXPECT_NE(progress.find("archive verify: 4/5"), std::string::npos) << progress;
}

}  // namespace
}  // namespace kbridge::handlers::archive
