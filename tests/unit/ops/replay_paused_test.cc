// executeReplayPaused (ops/replay.h): the pause/resume protocol seen from `kbridge replay` — pause
// record first, wait (bounded) for the group to empty, re-plan from the offsets of that moment,
// move them, resume; every failure after the pause still resumes. Time is a ManualClock that the
// fake store's sleep advances; the members leave when the fake store says so.

#include <gtest/gtest.h>

#include "ops/fake_group_offsets.h"
#include "ops/replay.h"

namespace kbridge::ops {
namespace {

using namespace std::chrono_literals;
using State = streams::GroupControl::State;

const StreamInfo kStream{"orders", "kb.orders", 1700000000000, 2};

// A control store in memory; each sleep advances the clock and lets `onSleep` act (e.g. the
// instances leave the group, or commit more before they do).
class FakeStore final : public GroupControlStore {
 public:
  explicit FakeStore(ManualClock& clock) : clock_(clock) {}

  Result<std::optional<streams::GroupControl>, std::string> current(
      const std::string& group) override {
    if (auto it = records.find(group); it != records.end()) {
      return std::optional<streams::GroupControl>(it->second);
    }
    return std::optional<streams::GroupControl>{};
  }
  Result<bool, std::string> write(const streams::GroupControl& control) override {
    if (failWrites > 0) {
      --failWrites;
      return fail(std::string("catalog down"));
    }
    written.push_back(control);
    records[control.group] = control;
    return true;
  }
  void sleepFor(std::chrono::milliseconds d) override {
    clock_.advance(d.count());
    ++sleeps;
    if (onSleep) onSleep();
  }

  std::map<std::string, streams::GroupControl> records;
  std::vector<streams::GroupControl> written;
  std::function<void()> onSleep;
  int sleeps = 0;
  int failWrites = 0;

 private:
  ManualClock& clock_;
};

struct ReplayPausedTest : ::testing::Test {
  ManualClock clock{1'000'000};
  FakeStore store{clock};
  testing::FakeGroupOffsets kafka;
  std::vector<std::string> lines;
  PausedReplayOptions options;

  void SetUp() override {
    kafka.topics["kb.orders"] = {{0, 100, {}}, {0, 40, {}}};
    kafka.committedOffsets["g"]["kb.orders"] = {{0, 80}, {1, 40}};
    options.mapping = "orders-log";
    options.replayId = "r1";
    options.waitForEmpty = 30s;
    options.pollInterval = 250ms;
    options.deadlineMargin = 30s;
  }

  Result<PausedReplayResult, std::string> run(const std::string& position) {
    auto parsed = parseReplayPosition(position);
    EXPECT_TRUE(parsed);
    return executeReplayPaused(kafka, store, clock, *parsed, kStream, "g", options,
                               [this](const std::string& l) { lines.push_back(l); });
  }
};

TEST_F(ReplayPausedTest, PausesWaitsForTheGroupToEmptyReplansMovesAndResumes) {
  kafka.members["g"] = 2;
  store.onSleep = [&] {
    // The instances commit what they delivered meanwhile, then leave after one second.
    kafka.committedOffsets["g"]["kb.orders"][0] = 90;
    if (store.sleeps == 4) kafka.members["g"] = 0;
  };
  auto done = run("trim-horizon");
  ASSERT_TRUE(done) << done.error();
  EXPECT_TRUE(done->executed);
  EXPECT_EQ(done->waitedMs, 1000);
  // The plan is the one of the paused group: current 90, not the 80 seen before.
  EXPECT_EQ(done->plan.shards[0].current, 90);
  EXPECT_EQ(done->plan.shards[0].redeliver, 90);
  EXPECT_EQ(kafka.committedOffsets["g"]["kb.orders"], (kafka::OffsetMap{{0, 0}, {1, 0}}));
  ASSERT_EQ(store.written.size(), 2u);
  const auto& pause = store.written[0];
  EXPECT_EQ(pause.state, State::kPaused);
  EXPECT_EQ(pause.group, "g");
  EXPECT_EQ(pause.replayId, "r1");
  EXPECT_EQ(pause.mapping, "orders-log");
  EXPECT_EQ(pause.reason, "replay to trim-horizon");
  EXPECT_EQ(pause.writtenMs, 1'000'000);
  EXPECT_EQ(pause.deadlineMs, 1'000'000 + 60'000);
  EXPECT_EQ(store.written[1].state, State::kResumed);
  EXPECT_EQ(store.written[1].replayId, "r1");
  EXPECT_EQ(kafka.alterCalls, 1);
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.back().find("resumed"), std::string::npos);
}

TEST_F(ReplayPausedTest, AnEmptyGroupIsMovedAtOnce) {
  auto done = run("latest");
  ASSERT_TRUE(done) << done.error();
  EXPECT_EQ(store.sleeps, 0);
  EXPECT_EQ(kafka.committedOffsets["g"]["kb.orders"], (kafka::OffsetMap{{0, 100}, {1, 40}}));
  ASSERT_EQ(store.written.size(), 2u);
}

TEST_F(ReplayPausedTest, NothingToChangeStillResumes) {
  auto done = run("offset:1=40");
  ASSERT_TRUE(done) << done.error();
  EXPECT_FALSE(done->executed);
  EXPECT_EQ(kafka.alterCalls, 0);
  ASSERT_EQ(store.written.size(), 2u);
  EXPECT_EQ(store.written[1].state, State::kResumed);
}

TEST_F(ReplayPausedTest, TimesOutResumesAndChangesNothing) {
  kafka.members["g"] = 1;  // e.g. a consumer that is not a kbridge instance
  auto done = run("trim-horizon");
  ASSERT_FALSE(done);
  EXPECT_NE(done.error().find("still has 1 active member(s)"), std::string::npos) << done.error();
  EXPECT_NE(done.error().find("after 30 s"), std::string::npos) << done.error();
  EXPECT_NE(done.error().find("nothing was changed"), std::string::npos) << done.error();
  EXPECT_EQ(clock.nowMillis(), 1'000'000 + 30'000);
  EXPECT_EQ(kafka.alterCalls, 0);
  ASSERT_EQ(store.written.size(), 2u);
  EXPECT_EQ(store.written[1].state, State::kResumed);
  EXPECT_EQ(kafka.committedOffsets["g"]["kb.orders"], (kafka::OffsetMap{{0, 80}, {1, 40}}));
}

TEST_F(ReplayPausedTest, RefusesWhileAnotherReplayHoldsThePause) {
  streams::GroupControl other;
  other.group = "g";
  other.state = State::kPaused;
  other.replayId = "r0";
  other.reason = "replay to latest";
  other.deadlineMs = clock.nowMillis() + 5000;
  store.records["g"] = other;
  auto done = run("trim-horizon");
  ASSERT_FALSE(done);
  EXPECT_NE(done.error().find("already paused by replay r0"), std::string::npos) << done.error();
  EXPECT_TRUE(store.written.empty());
  // Once its deadline has passed it no longer counts.
  clock.advance(5000);
  EXPECT_TRUE(run("trim-horizon"));
}

TEST_F(ReplayPausedTest, APauseThatCannotBeWrittenChangesNothing) {
  store.failWrites = 1;
  auto done = run("trim-horizon");
  ASSERT_FALSE(done);
  EXPECT_NE(done.error().find("cannot write the pause record"), std::string::npos);
  EXPECT_EQ(kafka.alterCalls, 0);
}

TEST_F(ReplayPausedTest, AFailedResumeNamesTheDeadline) {
  store.onSleep = nullptr;
  auto parsed = parseReplayPosition("trim-horizon");
  ASSERT_TRUE(parsed);
  // The pause is written, then the catalog goes down.
  int writes = 0;
  struct Flaky final : GroupControlStore {
    FakeStore& inner;
    int& writes;
    Flaky(FakeStore& s, int& w) : inner(s), writes(w) {}
    Result<std::optional<streams::GroupControl>, std::string> current(
        const std::string& g) override {
      return inner.current(g);
    }
    Result<bool, std::string> write(const streams::GroupControl& c) override {
      if (++writes > 1) return fail(std::string("catalog down"));
      return inner.write(c);
    }
    void sleepFor(std::chrono::milliseconds d) override { inner.sleepFor(d); }
  } flaky(store, writes);
  auto done = executeReplayPaused(kafka, flaky, clock, *parsed, kStream, "g", options,
                                  [](const std::string&) {});
  ASSERT_FALSE(done);
  EXPECT_NE(done.error().find("offsets moved"), std::string::npos) << done.error();
  EXPECT_NE(done.error().find("resumes by itself"), std::string::npos) << done.error();
  EXPECT_EQ(kafka.alterCalls, 1);
}

TEST_F(ReplayPausedTest, KafkaDownDuringTheWaitResumes) {
  kafka.unavailable = true;
  auto done = run("trim-horizon");
  ASSERT_FALSE(done);
  EXPECT_NE(done.error().find("cannot describe group g"), std::string::npos) << done.error();
  ASSERT_EQ(store.written.size(), 2u);
  EXPECT_EQ(store.written[1].state, State::kResumed);
}

TEST(ReplayId, IsSixteenHexDigitsAndDiffers) {
  const auto a = newReplayId();
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, newReplayId());
}

}  // namespace
}  // namespace kbridge::ops
