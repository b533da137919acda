#include "ops/lag_monitor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "ops/metrics.h"
#include "streams/catalog.h"
#include "streams/stream_meta.h"

namespace kbridge::ops {

namespace {
StreamInfo infoOf(const streams::StreamMeta& meta) {
  return StreamInfo{meta.name, meta.topic, meta.generation, static_cast<int>(meta.shards.size())};
}
}  // namespace

StreamDirectory catalogDirectory(const streams::Catalog& catalog) {
  StreamDirectory d;
  d.byName = [&catalog](const std::string& name) -> std::optional<StreamInfo> {
    if (auto meta = catalog.find(name)) return infoOf(*meta);
    return std::nullopt;
  };
  d.byTopic = [&catalog](const std::string& topic) -> std::optional<StreamInfo> {
    for (const auto& meta : catalog.list()) {
      if (meta.topic == topic) return infoOf(meta);
    }
    return std::nullopt;
  };
  return d;
}

double secondsBehind(const ShardLag& shard, std::int64_t nowMs) {
  if (shard.recordsBehind <= 0 || shard.oldestUnconsumedMs <= 0) return 0.0;
  return std::max<std::int64_t>(0, nowMs - shard.oldestUnconsumedMs) / 1000.0;
}

GroupLag sampleGroup(kafka::GroupOffsets& kafka, const LagTarget& target, int shardCount,
                     std::int64_t nowMs) {
  GroupLag out;
  out.target = target;
  out.sampledAtMs = nowMs;
  auto membership = kafka.membership(target.group);
  if (membership) {
    out.groupState = membership->state;
    out.members = membership->members;
  }
  auto committed = kafka.committed(target.group, target.topic);
  if (!committed) {
    out.error = "cannot read the committed offsets: " + committed.error().message;
    return out;
  }
  kafka::OffsetMap probe;  // where the oldest unconsumed record of each lagging shard is
  for (std::int32_t p = 0; p < shardCount; ++p) {
    auto marks = kafka.watermarks(target.topic, p);
    if (!marks) {
      out.error = "cannot read the end offsets: " + marks.error().message;
      out.shards.clear();
      return out;
    }
    ShardLag shard;
    shard.partition = p;
    shard.shardId = streams::shardIdName(static_cast<std::uint32_t>(p));
    shard.start = marks->low;
    shard.end = marks->high;
    if (auto it = committed->find(p); it != committed->end()) {
      shard.committed = it->second;
      shard.recordsBehind = std::max<std::int64_t>(0, shard.end - shard.committed);
      // Records trimmed by retention are gone: the oldest one left is the next to be consumed.
      if (shard.recordsBehind > 0) probe[p] = std::max(shard.committed, shard.start);
    }
    out.shards.push_back(shard);
  }
  if (!probe.empty()) {
    auto stamps = kafka.timestampsAt(target.topic, probe);
    if (stamps) {
      for (auto& shard : out.shards) {
        if (auto it = stamps->find(shard.partition); it != stamps->end()) {
          shard.oldestUnconsumedMs = it->second;
        }
      }
    } else {
      spdlog::warn("lag: cannot read record timestamps of {}: {}", target.topic,
                   stamps.error().message);
    }
  }
  return out;
}

bool globMatch(const std::string& pattern, const std::string& text) {
  // Iterative wildcard match with one backtrack point (linear in practice).
  std::size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::vector<std::pair<LagTarget, int>> resolveTargets(const config::Config& config,
                                                      const std::vector<std::string>& patterns,
                                                      kafka::GroupOffsets& kafka,
                                                      const StreamDirectory& streams,
                                                      std::vector<std::string>& errors) {
  std::vector<std::pair<LagTarget, int>> out;
  std::set<std::string> mappingGroups;
  for (const auto& m : config.mappings) {
    mappingGroups.insert(m.consumerGroup);
    auto stream = streams.byName(m.stream);
    if (!stream) {
      errors.push_back("mapping " + m.name + ": stream " + m.stream + " does not exist");
      continue;
    }
    out.push_back(
        {LagTarget{m.name, m.consumerGroup, stream->name, stream->topic}, stream->shards});
  }
  if (patterns.empty()) return out;
  auto groups = kafka.listGroups();
  if (!groups) {
    errors.push_back("cannot list consumer groups: " + groups.error().message);
    return out;
  }
  std::sort(groups->begin(), groups->end());
  for (const auto& group : *groups) {
    if (mappingGroups.count(group)) continue;
    if (std::none_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return globMatch(p, group); })) {
      continue;
    }
    auto topics = kafka.committedTopics(group);
    if (!topics) {
      errors.push_back("group " + group + ": " + topics.error().message);
      continue;
    }
    for (const auto& topic : *topics) {
      if (auto stream = streams.byTopic(topic)) {
        out.push_back({LagTarget{"", group, stream->name, topic}, stream->shards});
      } else if (auto partitions = kafka.partitionCount(topic)) {
        out.push_back({LagTarget{"", group, topic, topic}, *partitions});
      } else {
        errors.push_back("group " + group + ", topic " + topic + ": " + partitions.error().message);
      }
    }
  }
  return out;
}

nlohmann::json toJson(const GroupLag& group, std::int64_t nowMs) {
  nlohmann::json shards = nlohmann::json::array();
  std::int64_t totalRecords = 0;
  double maxSeconds = 0;
  for (const auto& s : group.shards) {
    const double seconds = secondsBehind(s, nowMs);
    totalRecords += s.recordsBehind;
    maxSeconds = std::max(maxSeconds, seconds);
    shards.push_back({{"shard_id", s.shardId},
                      {"partition", s.partition},
                      {"committed_offset",
                       s.committed >= 0 ? nlohmann::json(s.committed) : nlohmann::json(nullptr)},
                      {"start_offset", s.start},
                      {"end_offset", s.end},
                      {"records_behind", s.recordsBehind},
                      {"seconds_behind", seconds},
                      {"status", lagStatusName(s.status)}});
  }
  nlohmann::json out = {
      {"mapping", group.target.mapping.empty() ? nlohmann::json(nullptr)
                                               : nlohmann::json(group.target.mapping)},
      {"group", group.target.group},
      {"stream", group.target.stream},
      {"topic", group.target.topic},
      {"group_state", group.groupState},
      {"members", group.members},
      {"status", lagStatusName(group.status)},
      {"records_behind", totalRecords},
      {"seconds_behind", maxSeconds},
      {"sampled_at_ms", group.sampledAtMs},
      {"shards", shards}};
  if (!group.error.empty()) out["error"] = group.error;
  return out;
}

// --- LagMonitor --------------------------------------------------------------------------------

struct LagMonitor::Metrics {
  MetricsRegistry* registry = nullptr;
  int hook = 0;
  prometheus::Family<prometheus::Gauge>* records = nullptr;
  prometheus::Family<prometheus::Gauge>* seconds = nullptr;
  prometheus::Family<prometheus::Gauge>* status = nullptr;
  prometheus::Family<prometheus::Gauge>* committed = nullptr;
  prometheus::Family<prometheus::Gauge>* end = nullptr;
  prometheus::Family<prometheus::Gauge>* groupStatus = nullptr;
  // The series set on the previous scrape, so series of vanished shards/groups are removed.
  std::vector<std::pair<prometheus::Family<prometheus::Gauge>*, prometheus::Gauge*>> live;
};

LagMonitor::LagMonitor(std::shared_ptr<const config::Config> config, kafka::GroupOffsets& kafka,
                       StreamDirectory streams, const Clock& clock)
    : config_(std::move(config)), kafka_(kafka), streams_(std::move(streams)), clock_(clock) {}

LagMonitor::~LagMonitor() {
  stop();
  if (metrics_ && metrics_->registry) metrics_->registry->removeScrapeHook(metrics_->hook);
}

void LagMonitor::start() {
  if (task_) return;
  task_.emplace(std::chrono::seconds(config_->lag.intervalS), [this] {
    try {
      evaluateOnce();
    } catch (const std::exception& e) {
      spdlog::error("lag monitor: {}", e.what());
    }
  });
  task_->poke();  // the first round at once
}

void LagMonitor::stop() {
  task_.reset();  // after the round in progress, if any
}

void LagMonitor::evaluateOnce() {
  std::vector<std::string> errors;
  auto targets = resolveTargets(*config_, config_->lag.groups, kafka_, streams_, errors);
  for (const auto& e : errors) spdlog::debug("lag: {}", e);
  std::vector<GroupLag> round;
  for (const auto& [target, shards] : targets) {
    round.push_back(sampleGroup(kafka_, target, shards, clock_.nowMillis()));
  }
  const auto window = static_cast<std::size_t>(config_->lag.window);
  std::lock_guard lock(mutex_);
  std::set<std::tuple<std::string, std::string, std::int32_t>> seen;
  for (auto& group : round) {
    std::vector<LagStatus> statuses;
    for (auto& shard : group.shards) {
      auto key = std::make_tuple(group.target.group, group.target.topic, shard.partition);
      seen.insert(key);
      auto& history = history_[key];
      history.push_back(
          LagSample{group.sampledAtMs, shard.committed, shard.end, group.members > 0});
      while (history.size() > window) history.pop_front();
      shard.status = evaluateShard(history, window);
      statuses.push_back(shard.status);
    }
    group.status = evaluateGroup(statuses);
  }
  std::erase_if(history_, [&](const auto& entry) { return !seen.count(entry.first); });
  groups_ = std::move(round);
}

std::vector<GroupLag> LagMonitor::snapshot() const {
  std::lock_guard lock(mutex_);
  return groups_;
}

std::string LagMonitor::renderAll() const {
  const auto now = clock_.nowMillis();
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& g : snapshot()) groups.push_back(toJson(g, now));
  return nlohmann::json{
      {"interval_s", config_->lag.intervalS}, {"window", config_->lag.window}, {"groups", groups}}
      .dump();
}

std::optional<std::string> LagMonitor::renderMapping(const std::string& mapping) const {
  const auto now = clock_.nowMillis();
  for (const auto& g : snapshot()) {
    if (g.target.mapping == mapping) return toJson(g, now).dump();
  }
  if (std::any_of(config_->mappings.begin(), config_->mappings.end(),
                  [&](const auto& m) { return m.name == mapping; })) {
    // Configured, but not sampled yet (or its stream is missing).
    return nlohmann::json{
        {"mapping", mapping}, {"status", "UNKNOWN"}, {"shards", nlohmann::json::array()}}
        .dump();
  }
  return std::nullopt;
}

void LagMonitor::exportMetrics(MetricsRegistry& registry) {
  metrics_ = std::make_unique<Metrics>();
  auto& m = *metrics_;
  m.registry = &registry;
  m.records = &registry.gauge("kbridge_lag_records",
                              "Records of the shard after the group's committed offset");
  m.seconds = &registry.gauge(
      "kbridge_lag_seconds",
      "Seconds since the arrival of the shard's oldest record the group has not consumed");
  m.status = &registry.gauge("kbridge_lag_status",
                             "Lag status of the shard: 0 OK, 1 WARN, 2 STALL, 3 STOP, 4 REWIND");
  m.committed =
      &registry.gauge("kbridge_lag_committed_offset", "The group's committed offset of the shard");
  m.end = &registry.gauge("kbridge_lag_end_offset", "The shard's end offset (high watermark)");
  m.groupStatus =
      &registry.gauge("kbridge_lag_group_status", "Lag status of the group: 0 OK, 1 WARN, 5 ERR");
  m.hook = registry.addScrapeHook([this] { syncMetrics(); });
}

void LagMonitor::syncMetrics() {
  auto& m = *metrics_;
  const auto now = clock_.nowMillis();
  std::vector<std::pair<prometheus::Family<prometheus::Gauge>*, prometheus::Gauge*>> live;
  auto set = [&](prometheus::Family<prometheus::Gauge>* family,
                 const std::map<std::string, std::string>& labels, double value) {
    auto& gauge = family->Add(labels);
    gauge.Set(value);
    live.emplace_back(family, &gauge);
  };
  for (const auto& g : snapshot()) {
    const std::map<std::string, std::string> groupLabels = {
        {"mapping", g.target.mapping}, {"group", g.target.group}, {"stream", g.target.stream}};
    set(m.groupStatus, groupLabels, static_cast<double>(g.status));
    for (const auto& s : g.shards) {
      auto labels = groupLabels;
      labels["shard"] = s.shardId;
      set(m.records, labels, static_cast<double>(s.recordsBehind));
      set(m.seconds, labels, secondsBehind(s, now));
      set(m.status, labels, static_cast<double>(s.status));
      set(m.end, labels, static_cast<double>(s.end));
      if (s.committed >= 0) set(m.committed, labels, static_cast<double>(s.committed));
    }
  }
  for (const auto& old : m.live) {
    if (std::find(live.begin(), live.end(), old) == live.end()) old.first->Remove(old.second);
  }
  m.live = std::move(live);
}

}  // namespace kbridge::ops
