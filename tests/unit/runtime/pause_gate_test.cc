// PauseGate (runtime/pause_gate.h): when a mapping leaves its group for a replay and when it
// rejoins, driven by explicit times.

#include "runtime/pause_gate.h"

#include <gtest/gtest.h>

namespace kbridge::runtime {
namespace {

using Change = PauseGate::Change;
using State = streams::GroupControl::State;

streams::GroupControl control(State state, const std::string& id, std::int64_t deadline) {
  streams::GroupControl c;
  c.group = "g";
  c.state = state;
  c.replayId = id;
  c.reason = "replay to latest";
  c.deadlineMs = deadline;
  return c;
}

TEST(PauseGate, RunsWithoutARecord) {
  PauseGate gate;
  EXPECT_EQ(gate.observe(std::nullopt, 0), Change::kNone);
  EXPECT_FALSE(gate.paused());
}

TEST(PauseGate, PausesOnceAndResumesOnTheResumeRecord) {
  PauseGate gate;
  const auto pause = control(State::kPaused, "r1", 1000);
  EXPECT_EQ(gate.observe(pause, 100), Change::kPause);
  EXPECT_TRUE(gate.paused());
  EXPECT_EQ(gate.replayId(), "r1");
  EXPECT_EQ(gate.deadlineMs(), 1000);
  EXPECT_EQ(gate.reason(), "replay to latest");
  EXPECT_EQ(gate.observe(pause, 200), Change::kNone);  // still paused, nothing new to do
  EXPECT_EQ(gate.observe(control(State::kResumed, "r1", 1000), 300), Change::kResume);
  EXPECT_FALSE(gate.paused());
  EXPECT_EQ(gate.observe(control(State::kResumed, "r1", 1000), 400), Change::kNone);
}

TEST(PauseGate, ResumesByItselfAtTheDeadline) {
  PauseGate gate;
  const auto pause = control(State::kPaused, "crashed", 1000);
  EXPECT_EQ(gate.observe(pause, 0), Change::kPause);
  EXPECT_EQ(gate.observe(pause, 999), Change::kNone);
  EXPECT_EQ(gate.observe(pause, 1000), Change::kExpired);
  EXPECT_FALSE(gate.paused());
  // The stale record never pauses again.
  EXPECT_EQ(gate.observe(pause, 5000), Change::kNone);
}

TEST(PauseGate, AnExpiredPauseFoundAtStartIsIgnored) {
  PauseGate gate;
  EXPECT_EQ(gate.observe(control(State::kPaused, "old", 1000), 2000), Change::kNone);
  EXPECT_FALSE(gate.paused());
}

TEST(PauseGate, AResumeOfAnotherReplayEndsThePause) {
  PauseGate gate;
  EXPECT_EQ(gate.observe(control(State::kPaused, "r1", 1000), 0), Change::kPause);
  EXPECT_EQ(gate.observe(control(State::kResumed, "r2", 2000), 10), Change::kResume);
}

TEST(PauseGate, ANewerPauseTakesOverIdAndDeadline) {
  PauseGate gate;
  EXPECT_EQ(gate.observe(control(State::kPaused, "r1", 1000), 0), Change::kPause);
  EXPECT_EQ(gate.observe(control(State::kPaused, "r2", 3000), 500), Change::kNone);
  EXPECT_EQ(gate.replayId(), "r2");
  EXPECT_EQ(gate.observe(control(State::kPaused, "r2", 3000), 1500), Change::kNone);
  EXPECT_TRUE(gate.paused());
  EXPECT_EQ(gate.observe(control(State::kPaused, "r2", 3000), 3000), Change::kExpired);
}

TEST(PauseGate, AVanishedRecordResumesOrExpires) {
  PauseGate gate;
  EXPECT_EQ(gate.observe(control(State::kPaused, "r1", 1000), 0), Change::kPause);
  EXPECT_EQ(gate.observe(std::nullopt, 10), Change::kResume);
  EXPECT_EQ(gate.observe(control(State::kPaused, "r2", 1000), 20), Change::kPause);
  EXPECT_EQ(gate.observe(std::nullopt, 1000), Change::kExpired);
}

}  // namespace
}  // namespace kbridge::runtime
