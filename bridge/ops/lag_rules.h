#pragma once
// Consumer-lag status rules (DESIGN.md §8), after Burrow's: evaluated per shard over the last
// `window` samples of (committed offset, end offset), then folded into a status per group. Pure
// functions of their input — no Kafka, no clock — so every rule is unit-tested with made-up
// samples (tests/unit/ops/lag_rules_test.cc).
//
// The rules, in the order they are applied to a shard:
//   1. no committed offset, or no lag in the newest sample          → OK
//   2. the committed offset went back between two samples            → REWIND
//   3. fewer than `window` samples yet                               → OK (not enough history)
//   4. a sample in the window without lag                            → OK
//   5. the committed offset did not move across the whole window:
//      the group has members (alive, not committing)                 → STALL
//      the group has no members (nobody will commit)                 → STOP
//   6. lag never fell across the window and grew from first to last  → WARN
//   7. otherwise                                                     → OK
// A group is ERR when any shard is STALL, STOP or REWIND, WARN when any shard is WARN, else OK.

#include <cstdint>
#include <deque>
#include <string_view>
#include <vector>

namespace kbridge::ops {

enum class LagStatus { kOk = 0, kWarn = 1, kStall = 2, kStop = 3, kRewind = 4, kErr = 5 };

std::string_view lagStatusName(LagStatus status);

// One observation of one shard of one group.
struct LagSample {
  std::int64_t timeMs = 0;
  std::int64_t committed = -1;  // -1 = the group has no committed offset for the shard
  std::int64_t end = 0;         // the shard's high watermark
  bool membersActive = false;   // the group had members when sampled

  bool hasCommit() const { return committed >= 0; }
  std::int64_t lag() const { return hasCommit() && end > committed ? end - committed : 0; }
};

// `samples` oldest first; only the newest `window` are looked at.
LagStatus evaluateShard(const std::deque<LagSample>& samples, std::size_t window);

LagStatus evaluateGroup(const std::vector<LagStatus>& shards);

}  // namespace kbridge::ops
