#include "runtime/pause_gate.h"

namespace kbridge::runtime {

PauseGate::Change PauseGate::observe(const std::optional<streams::GroupControl>& control,
                                     std::int64_t nowMs) {
  const bool wanted = control && control->pausedAt(nowMs);
  if (wanted) {
    const bool fresh = !paused_;
    paused_ = true;
    replayId_ = control->replayId;
    reason_ = control->reason;
    deadlineMs_ = control->deadlineMs;
    return fresh ? Change::kPause : Change::kNone;
  }
  if (!paused_) return Change::kNone;
  paused_ = false;
  // Still the same pause record, only out of time: the replay never resumed it.
  if (control && control->state == streams::GroupControl::State::kPaused) {
    return Change::kExpired;
  }
  if (!control && nowMs >= deadlineMs_) return Change::kExpired;
  return Change::kResume;
}

const char* pauseChangeName(PauseGate::Change change) {
  switch (change) {
    case PauseGate::Change::kNone:
      return "none";
    case PauseGate::Change::kPause:
      return "pause";
    case PauseGate::Change::kResume:
      return "resume";
    case PauseGate::Change::kExpired:
      return "expired";
  }
  return "?";
}

}  // namespace kbridge::runtime
