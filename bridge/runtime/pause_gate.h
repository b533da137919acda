#pragma once
// Whether a mapping should be paused, from its group's control record (streams/group_control.h)
// and the time. A plain state machine — no threads, no clock of its own — fed by the mapping
// worker's poll thread with the catalog's current record on every poll, and unit-tested with
// explicit times.
//
// Paused exactly while the last record is "paused" and its deadline lies ahead. A "resumed" record
// (of any replay: the last record wins) ends the pause; so does the deadline, so a crashed replay
// never leaves a mapping stopped. A newer pause replacing the current one keeps the mapping paused
// under the new id and deadline.

#include <cstdint>
#include <optional>
#include <string>

#include "streams/group_control.h"

namespace kbridge::runtime {

class PauseGate {
 public:
  enum class Change {
    kNone,     // nothing to do
    kPause,    // leave the group and hold
    kResume,   // resumed by a "resumed" record (or the record vanished): rejoin
    kExpired,  // the pause's deadline passed without a resume: rejoin
  };

  Change observe(const std::optional<streams::GroupControl>& control, std::int64_t nowMs);

  bool paused() const { return paused_; }
  // The pause in force (or the last one, after a resume).
  const std::string& replayId() const { return replayId_; }
  std::int64_t deadlineMs() const { return deadlineMs_; }
  const std::string& reason() const { return reason_; }

 private:
  bool paused_ = false;
  std::string replayId_;
  std::string reason_;
  std::int64_t deadlineMs_ = 0;
};

const char* pauseChangeName(PauseGate::Change change);

}  // namespace kbridge::runtime
