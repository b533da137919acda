#include "ops/replay.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <sstream>

#include "config/config.h"
#include "streams/stream_meta.h"

namespace kbridge::ops {
namespace {

std::optional<std::int64_t> parseNonNegative(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::optional<std::int32_t> parseShard(const std::string& text) {
  if (auto index = streams::parseShardId(text)) return static_cast<std::int32_t>(*index);
  auto n = parseNonNegative(text);
  if (!n || *n > static_cast<std::int64_t>(streams::kMaxShardIndex)) return std::nullopt;
  return static_cast<std::int32_t>(*n);
}

std::string offsetText(std::int64_t offset) {
  return offset < 0 ? "-" : std::to_string(offset);
}

}  // namespace

Result<ReplayPosition, std::string> parseReplayPosition(const std::string& text) {
  ReplayPosition out;
  out.text = text;
  auto after = [&](const std::string& prefix) -> std::optional<std::string> {
    if (text.rfind(prefix, 0) != 0) return std::nullopt;
    return text.substr(prefix.size());
  };
  if (text == "trim-horizon") {
    out.kind = ReplayPosition::Kind::kTrimHorizon;
  } else if (text == "latest") {
    out.kind = ReplayPosition::Kind::kLatest;
  } else if (auto ts = after("timestamp:")) {
    auto ms = config::parseTimestamp(*ts);
    if (!ms) return fail("\"" + *ts + "\" is not an ISO-8601 time such as 2026-11-22T10:00:00Z");
    out.kind = ReplayPosition::Kind::kTimestamp;
    out.timestampMs = *ms;
  } else if (auto seq = after("sequence:")) {
    auto parsed = streams::SequenceNumber::parse(*seq);
    if (!parsed) return fail(std::string("\"" + *seq + "\" is not a sequence number"));
    out.kind = ReplayPosition::Kind::kSequence;
    out.sequence = *parsed;
  } else if (auto list = after("offset:")) {
    out.kind = ReplayPosition::Kind::kOffsets;
    std::stringstream items(*list);
    std::string item;
    while (std::getline(items, item, ',')) {
      const auto eq = item.find('=');
      auto shard = eq == std::string::npos ? std::nullopt : parseShard(item.substr(0, eq));
      auto offset = eq == std::string::npos ? std::nullopt : parseNonNegative(item.substr(eq + 1));
      if (!shard || !offset) {
        return fail("\"" + item + "\" is not SHARD=OFFSET (e.g. 0=42 or shardId-000000000000=42)");
      }
      if (!out.offsets.emplace(*shard, *offset).second) {
        return fail("shard " + std::to_string(*shard) + " is given twice");
      }
    }
    if (out.offsets.empty()) return fail(std::string("offset: needs at least one SHARD=OFFSET"));
  } else {
    return fail("unknown position \"" + text +
                "\"; use trim-horizon, latest, timestamp:ISO-8601, sequence:SEQ or "
                "offset:SHARD=N,...");
  }
  return out;
}

bool ReplayPlan::changesAnything() const {
  return std::any_of(shards.begin(), shards.end(), [](const ShardPlan& s) { return s.changes(); });
}

Result<ReplayPlan, std::string> planReplay(const ReplayPosition& position, const StreamInfo& stream,
                                           const std::string& group,
                                           const std::vector<ShardOffsets>& shards,
                                           const kafka::OffsetMap& timestampOffsets) {
  using Kind = ReplayPosition::Kind;
  const auto shardCount = static_cast<std::int64_t>(shards.size());
  if (position.kind == Kind::kSequence) {
    const auto& seq = position.sequence;
    if (seq.generation != stream.generation) {
      return fail("sequence number " + seq.toString() +
                  " belongs to another generation of stream " + stream.name + " (created at " +
                  std::to_string(seq.generation) + " ms, the stream now was created at " +
                  std::to_string(stream.generation) + " ms)");
    }
    if (static_cast<std::int64_t>(seq.shard) >= shardCount) {
      return fail("sequence number " + seq.toString() + " names shard " +
                  streams::shardIdName(seq.shard) + ", which stream " + stream.name +
                  " does not have");
    }
  }
  if (position.kind == Kind::kOffsets) {
    for (const auto& [shard, _] : position.offsets) {
      if (shard >= shardCount) {
        return fail("stream " + stream.name + " has no shard " +
                    streams::shardIdName(static_cast<std::uint32_t>(shard)) + " (it has " +
                    std::to_string(shardCount) + ")");
      }
    }
  }
  ReplayPlan plan;
  plan.group = group;
  plan.stream = stream.name;
  plan.topic = stream.topic;
  plan.position = position.text;
  for (const auto& s : shards) {
    ShardPlan p;
    p.partition = s.partition;
    p.shardId = streams::shardIdName(static_cast<std::uint32_t>(s.partition));
    p.current = s.committed;
    p.start = s.start;
    p.end = s.end;
    std::optional<std::int64_t> wanted;
    switch (position.kind) {
      case Kind::kTrimHorizon:
        wanted = s.start;
        break;
      case Kind::kLatest:
        wanted = s.end;
        break;
      case Kind::kTimestamp:
        if (auto it = timestampOffsets.find(s.partition); it != timestampOffsets.end()) {
          wanted = it->second;
        } else {
          return fail("no offset for the time on " + p.shardId);
        }
        break;
      case Kind::kSequence:
        if (static_cast<std::uint32_t>(s.partition) == position.sequence.shard) {
          wanted = static_cast<std::int64_t>(position.sequence.offset);
        }
        break;
      case Kind::kOffsets:
        if (auto it = position.offsets.find(s.partition); it != position.offsets.end()) {
          wanted = it->second;
        }
        break;
    }
    if (wanted) {
      if (*wanted < s.start) {
        p.note = "offset " + std::to_string(*wanted) +
                 " is before the oldest retained record; clamped to " + std::to_string(s.start);
        wanted = s.start;
      } else if (*wanted > s.end) {
        p.note = "offset " + std::to_string(*wanted) + " is past the end; clamped to " +
                 std::to_string(s.end);
        wanted = s.end;
      }
      p.target = *wanted;
      if (p.current >= 0) {
        // Only records still retained can be delivered again.
        const auto from = std::max(p.current, s.start);
        if (p.target < from) p.redeliver = from - p.target;
        if (p.target > p.current) p.skip = p.target - std::max(p.current, s.start);
      } else if (p.note.empty()) {
        p.note = "no checkpoint yet";
      }
    } else {
      p.note = "unchanged";
    }
    plan.shards.push_back(std::move(p));
  }
  return plan;
}

std::string renderPlanTable(const ReplayPlan& plan) {
  std::ostringstream out;
  out << "group " << plan.group << " on stream " << plan.stream << " (topic " << plan.topic
      << "), to " << plan.position << "\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-22s %12s %12s %12s %12s  %s\n", "SHARD", "CURRENT", "NEW",
                "REDELIVER", "SKIP", "NOTE");
  out << line;
  for (const auto& s : plan.shards) {
    std::snprintf(line, sizeof line, "%-22s %12s %12s %12lld %12lld  %s\n", s.shardId.c_str(),
                  offsetText(s.current).c_str(),
                  (s.target >= 0 ? std::to_string(s.target) : offsetText(s.current)).c_str(),
                  static_cast<long long>(s.redeliver), static_cast<long long>(s.skip),
                  s.note.c_str());
    out << line;
  }
  return out.str();
}

nlohmann::json toJson(const ReplayPlan& plan) {
  nlohmann::json shards = nlohmann::json::array();
  for (const auto& s : plan.shards) {
    shards.push_back(
        {{"shard_id", s.shardId},
         {"partition", s.partition},
         {"current_offset", s.current >= 0 ? nlohmann::json(s.current) : nlohmann::json(nullptr)},
         {"new_offset", s.target >= 0 ? nlohmann::json(s.target) : nlohmann::json(nullptr)},
         {"start_offset", s.start},
         {"end_offset", s.end},
         {"redeliver", s.redeliver},
         {"skip", s.skip},
         {"changes", s.changes()},
         {"note", s.note}});
  }
  return {{"group", plan.group},
          {"stream", plan.stream},
          {"topic", plan.topic},
          {"position", plan.position},
          {"shards", shards}};
}

Result<ReplayPlan, std::string> planReplayFromKafka(kafka::GroupOffsets& kafka,
                                                    const ReplayPosition& position,
                                                    const StreamInfo& stream,
                                                    const std::string& group) {
  auto committed = kafka.committed(group, stream.topic);
  if (!committed) return fail("cannot read group " + group + ": " + committed.error().message);
  std::vector<ShardOffsets> shards;
  kafka::OffsetMap forTime;
  for (std::int32_t p = 0; p < stream.shards; ++p) {
    auto marks = kafka.watermarks(stream.topic, p);
    if (!marks)
      return fail("cannot read the offsets of " + stream.topic + ": " + marks.error().message);
    ShardOffsets s{p, -1, marks->low, marks->high};
    if (auto it = committed->find(p); it != committed->end()) s.committed = it->second;
    shards.push_back(s);
    if (position.kind == ReplayPosition::Kind::kTimestamp) {
      auto offset = kafka.offsetForTime(stream.topic, p, position.timestampMs);
      if (!offset)
        return fail("cannot look up the time on " + stream.topic + ": " + offset.error().message);
      forTime[p] = *offset;
    }
  }
  return planReplay(position, stream, group, shards, forTime);
}

Result<bool, std::string> executeReplay(kafka::GroupOffsets& kafka, const ReplayPlan& plan) {
  auto membership = kafka.membership(plan.group);
  if (!membership)
    return fail("cannot describe group " + plan.group + ": " + membership.error().message);
  if (membership->active()) {
    return fail("group " + plan.group + " has " + std::to_string(membership->members) +
                " active member(s) (state " + membership->state +
                "): a running consumer would overwrite the new offsets with its next commit. "
                "Stop its consumers first (for a kbridge mapping, use replay --mapping M, which "
                "pauses the mapping on every running instance)");
  }
  kafka::OffsetMap changes;
  for (const auto& s : plan.shards) {
    if (s.changes()) changes[s.partition] = s.target;
  }
  if (changes.empty()) return false;
  if (auto done = kafka.alterCommitted(plan.group, plan.topic, changes); !done) {
    return fail("Kafka refused the new offsets of group " + plan.group + ": " +
                done.error().message);
  }
  return true;
}

std::string newReplayId() {
  std::random_device random;
  std::uniform_int_distribution<std::uint64_t> bits;
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(bits(random)));
  return text;
}

streams::GroupControl pauseRecord(const std::string& group, const PausedReplayOptions& options,
                                  const std::string& position, std::int64_t nowMs) {
  streams::GroupControl control;
  control.group = group;
  control.state = streams::GroupControl::State::kPaused;
  control.replayId = options.replayId;
  control.mapping = options.mapping;
  control.reason = "replay to " + position;
  control.writtenMs = nowMs;
  control.deadlineMs = nowMs + (options.waitForEmpty + options.deadlineMargin).count();
  return control;
}

Result<PausedReplayResult, std::string> executeReplayPaused(
    kafka::GroupOffsets& kafka, GroupControlStore& store, const Clock& clock,
    const ReplayPosition& position, const StreamInfo& stream, const std::string& group,
    const PausedReplayOptions& options, const std::function<void(const std::string&)>& progress) {
  const auto start = clock.nowMillis();
  auto existing = store.current(group);
  if (!existing)
    return fail("cannot read the pause state of group " + group + ": " + existing.error());
  if (*existing && (*existing)->pausedAt(start) && (*existing)->replayId != options.replayId) {
    return fail("group " + group + " is already paused by replay " + (*existing)->replayId + " (" +
                (*existing)->reason + ") for up to " +
                std::to_string(((*existing)->deadlineMs - start + 999) / 1000) +
                " s more; run replay again when it has finished");
  }
  const auto pause = pauseRecord(group, options, position.text, start);
  if (auto written = store.write(pause); !written) {
    return fail("cannot write the pause record of group " + group + ": " + written.error());
  }
  progress("replay " + options.replayId + ": pausing mapping " + options.mapping + " (group " +
           group + ") on every kbridge instance; waiting up to " +
           std::to_string(options.waitForEmpty.count() / 1000) + " s for the group to empty");

  // Every exit from here on resumes the mapping.
  auto resume = [&](const std::string& why) -> std::string {
    streams::GroupControl resumed = pause;
    resumed.state = streams::GroupControl::State::kResumed;
    resumed.writtenMs = clock.nowMillis();
    if (auto written = store.write(resumed); !written) {
      return why + (why.empty() ? "" : "; ") + "cannot write the resume record (" +
             written.error() + "): the mapping resumes by itself at its pause deadline, in " +
             std::to_string(std::max<std::int64_t>(0, pause.deadlineMs - clock.nowMillis()) /
                            1000) +
             " s";
    }
    progress("replay " + options.replayId + ": resumed mapping " + options.mapping);
    return why;
  };

  std::string lastState;
  int lastMembers = 0;
  for (;;) {
    auto membership = kafka.membership(group);
    if (membership && !membership->active()) break;
    if (membership) {
      lastState = membership->state;
      lastMembers = membership->members;
    }
    if (clock.nowMillis() - start >= options.waitForEmpty.count()) {
      std::string why =
          membership ? "group " + group + " still has " + std::to_string(lastMembers) +
                           " active member(s) (state " + lastState + ") after " +
                           std::to_string(options.waitForEmpty.count() / 1000) +
                           " s: consumers that are not kbridge instances running mapping " +
                           options.mapping + " (or older kbridge versions) do not honour the pause"
                     : "cannot describe group " + group + ": " + membership.error().message;
      return fail(resume(why + "; nothing was changed"));
    }
    store.sleepFor(options.pollInterval);
  }
  PausedReplayResult out;
  out.waitedMs = clock.nowMillis() - start;
  progress("replay " + options.replayId + ": group " + group + " is empty after " +
           std::to_string(out.waitedMs) + " ms; planning from its committed offsets");

  auto plan = planReplayFromKafka(kafka, position, stream, group);
  if (!plan) return fail(resume(plan.error() + "; nothing was changed"));
  out.plan = std::move(*plan);
  if (clock.nowMillis() >= pause.deadlineMs) {
    return fail(
        resume("the pause's deadline passed before the offsets could be moved; nothing "
               "was changed"));
  }
  auto done = executeReplay(kafka, out.plan);
  if (!done) return fail(resume(done.error()));
  out.executed = *done;
  if (auto why = resume(""); !why.empty()) return fail("offsets moved, but " + why);
  return out;
}

}  // namespace kbridge::ops
