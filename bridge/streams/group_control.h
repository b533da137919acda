#pragma once
// Control records for a consumer group, kept in the catalog topic next to the streams (DESIGN.md
// §3, §6). `kbridge replay --mapping M --execute` moves a running mapping's checkpoint with them:
// it writes "paused" (with a replay id and a deadline), every instance running a mapping on that
// group drains, commits and leaves the group, replay moves the offsets of the now empty group, then
// writes "resumed" and the instances rejoin from the new offsets.
//
// Why the catalog topic: every instance already tails it from the beginning (so an instance that
// starts during a pause honours it), it is compacted by key (only the last record per group
// matters) and writes are acknowledged by acks=all. The key namespace `#group/<group id>` cannot
// clash with stream names, which cannot contain '#'; older instances ignore records whose "kind"
// they do not know.
//
// The deadline is wall-clock epoch ms: a pause that nobody resumes (a crashed replay) ends by
// itself once the deadline has passed on the instance's clock, so clocks need only agree to within
// a fraction of the deadline's margin.

#include <cstdint>
#include <optional>
#include <string>

namespace kbridge::streams {

struct GroupControl {
  enum class State { kPaused, kResumed };
  std::string group;
  State state = State::kPaused;
  std::string replayId;         // who paused (or resumed) the group
  std::string mapping;          // the mapping named on the command line, for logs
  std::string reason;           // e.g. "replay to timestamp:2026-11-22T10:00:00Z"
  std::int64_t deadlineMs = 0;  // kPaused: the pause ends by itself at this time
  std::int64_t writtenMs = 0;

  // A pause in force at `nowMs`.
  bool pausedAt(std::int64_t nowMs) const { return state == State::kPaused && nowMs < deadlineMs; }
};

// Catalog key of `group`'s control record.
std::string groupControlKey(const std::string& group);
// The group id of a control key; nullopt for other keys.
std::optional<std::string> groupOfControlKey(const std::string& key);

std::string encodeGroupControl(const GroupControl& control);
// nullopt for anything that is not a valid control record of `group` (the key's group).
std::optional<GroupControl> decodeGroupControl(const std::string& group, const std::string& value);

const char* groupControlStateName(GroupControl::State state);

}  // namespace kbridge::streams
