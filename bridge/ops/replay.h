#pragma once
// Replay (DESIGN.md §1, §6): moving a consumer group's checkpoint on one stream to a position —
// the oldest retained record, the end, the first record at or after a time, a sequence number, or
// explicit offsets per shard. planReplay() is pure (the caller reads Kafka first), so every rule is
// unit-tested; executeReplay() applies a plan, and refuses while the group has members: Kafka does
// not let an outsider move a live group's offsets, and a running consumer would overwrite them with
// its next commit.
//
// A mapping's group is moved while kbridge runs it with executeReplayPaused(): the pause/resume
// protocol of streams/group_control.h. It writes a "paused" control record (replay id, deadline),
// waits (bounded) until every instance has committed and left the group, re-plans from the offsets
// of that moment, moves them, and writes "resumed"; the instances rejoin by themselves. Any failure
// after the pause still writes "resumed", and the deadline ends the pause if even that fails.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "kafka/group_offsets.h"
#include "ops/lag_monitor.h"
#include "streams/group_control.h"
#include "streams/sequence_number.h"

namespace kbridge::ops {

struct ReplayPosition {
  enum class Kind { kTrimHorizon, kLatest, kTimestamp, kSequence, kOffsets };
  Kind kind = Kind::kTrimHorizon;
  std::int64_t timestampMs = 0;                  // kTimestamp
  streams::SequenceNumber sequence;              // kSequence
  std::map<std::int32_t, std::int64_t> offsets;  // kOffsets: shard index → offset
  std::string text;                              // as given
};

// "trim-horizon", "latest", "timestamp:<ISO-8601>", "sequence:<seq>",
// "offset:<shard>=<n>,..." (shard as 3 or shardId-000000000003).
Result<ReplayPosition, std::string> parseReplayPosition(const std::string& text);

struct ShardOffsets {
  std::int32_t partition = 0;
  std::int64_t committed = -1;  // -1: no checkpoint
  std::int64_t start = 0;
  std::int64_t end = 0;
};

struct ShardPlan {
  std::int32_t partition = 0;
  std::string shardId;
  std::int64_t current = -1;  // -1: no checkpoint
  std::int64_t target = -1;   // -1: left alone
  std::int64_t start = 0;
  std::int64_t end = 0;
  std::int64_t redeliver = 0;  // records delivered again (target before current)
  std::int64_t skip = 0;       // records never delivered (target after current)
  std::string note;

  bool changes() const { return target >= 0 && target != current; }
};

struct ReplayPlan {
  std::string group;
  std::string stream;
  std::string topic;
  std::string position;
  std::vector<ShardPlan> shards;

  bool changesAnything() const;
};

// `timestampOffsets`: for kTimestamp, each shard's first offset at or after the time (from Kafka).
Result<ReplayPlan, std::string> planReplay(const ReplayPosition& position, const StreamInfo& stream,
                                           const std::string& group,
                                           const std::vector<ShardOffsets>& shards,
                                           const kafka::OffsetMap& timestampOffsets);

std::string renderPlanTable(const ReplayPlan& plan);
nlohmann::json toJson(const ReplayPlan& plan);

// Reads the group's checkpoint and the shards' watermarks (and the offsets for a timestamp) from
// Kafka and plans.
Result<ReplayPlan, std::string> planReplayFromKafka(kafka::GroupOffsets& kafka,
                                                    const ReplayPosition& position,
                                                    const StreamInfo& stream,
                                                    const std::string& group);

// Applies `plan` unless the group has members; the error says why not.
Result<bool, std::string> executeReplay(kafka::GroupOffsets& kafka, const ReplayPlan& plan);

// Where executeReplayPaused() reads and writes the group's control record: the catalog in
// `kbridge replay`, a fake in tests.
class GroupControlStore {
 public:
  virtual ~GroupControlStore() = default;
  // The group's current control record, as of now (syncs with other instances' writes).
  virtual Result<std::optional<streams::GroupControl>, std::string> current(
      const std::string& group) = 0;
  // Writes `control` and returns once it is stored.
  virtual Result<bool, std::string> write(const streams::GroupControl& control) = 0;
  // Waits between looks at the group's membership.
  virtual void sleepFor(std::chrono::milliseconds d) = 0;
};

struct PausedReplayOptions {
  std::string mapping;   // for the control record and logs
  std::string replayId;  // unique per run
  std::chrono::milliseconds waitForEmpty{30000};
  std::chrono::milliseconds pollInterval{250};
  // The pause's deadline is now + waitForEmpty + this: room to re-plan and move the offsets.
  std::chrono::milliseconds deadlineMargin{30000};
};

struct PausedReplayResult {
  ReplayPlan plan;        // from the offsets the paused group had committed
  bool executed = false;  // offsets moved (false: nothing to change)
  std::int64_t waitedMs = 0;
};

// The control record executeReplayPaused() writes first.
streams::GroupControl pauseRecord(const std::string& group, const PausedReplayOptions& options,
                                  const std::string& position, std::int64_t nowMs);

// Pauses the group's mapping on every kbridge instance, moves the offsets to `position`, resumes.
// `progress` receives one line per step (for the user).
Result<PausedReplayResult, std::string> executeReplayPaused(
    kafka::GroupOffsets& kafka, GroupControlStore& store, const Clock& clock,
    const ReplayPosition& position, const StreamInfo& stream, const std::string& group,
    const PausedReplayOptions& options, const std::function<void(const std::string&)>& progress);

// 16 random hex digits.
std::string newReplayId();

}  // namespace kbridge::ops
