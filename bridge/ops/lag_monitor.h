#pragma once
// Consumer-lag monitoring (DESIGN.md §8): for every mapping's consumer group and every other group
// matching config `lag.groups`, per shard the committed offset, the end offset, records behind and
// seconds behind (now − arrival time of the oldest unconsumed record, 0 when caught up), with a
// status per shard and per group from the rules in lag_rules.h over the last `lag.window` samples.
//
// Lifecycle: built by serve.cc after the catalog is loaded; start() runs one evaluation at once and
// then one every `lag.interval_s` on its own thread; stop() (or the destructor) joins it. Kafka is
// only touched on that thread. snapshot()/render are thread-safe and never block on Kafka, so the
// admin listener's I/O threads serve them. sampleGroup() is also what `kbridge lag` uses for its
// one-shot table.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "common/clock.h"
#include "common/periodic.h"
#include "config/config.h"
#include "kafka/group_offsets.h"
#include "ops/lag_rules.h"

namespace kbridge::streams {
class Catalog;
}

namespace kbridge::ops {

class MetricsRegistry;

// What the lag monitor and replay need to know about a stream.
struct StreamInfo {
  std::string name;
  std::string topic;
  std::uint64_t generation = 0;
  int shards = 0;  // = the topic's partitions
};

// Looks streams up by name and by topic (the catalog in a running kbridge).
struct StreamDirectory {
  std::function<std::optional<StreamInfo>(const std::string& name)> byName;
  std::function<std::optional<StreamInfo>(const std::string& topic)> byTopic;
};

// A directory over the catalog (which must outlive it).
StreamDirectory catalogDirectory(const streams::Catalog& catalog);

// One group on one topic to watch.
struct LagTarget {
  std::string mapping;  // empty for a group matched by lag.groups
  std::string group;
  std::string stream;  // the stream's name, or the topic when no stream has it
  std::string topic;
};

struct ShardLag {
  std::int32_t partition = 0;
  std::string shardId;
  std::int64_t committed = -1;  // -1: no checkpoint
  std::int64_t start = 0;       // oldest retained offset
  std::int64_t end = 0;         // next offset to be written
  std::int64_t recordsBehind = 0;
  std::int64_t oldestUnconsumedMs = 0;  // arrival of the record at the checkpoint; 0 = none
  LagStatus status = LagStatus::kOk;
};

struct GroupLag {
  LagTarget target;
  std::string groupState;
  int members = 0;
  std::int64_t sampledAtMs = 0;
  LagStatus status = LagStatus::kOk;
  std::string error;  // set when Kafka could not be asked; shards are then empty
  std::vector<ShardLag> shards;
};

// Seconds behind at `nowMs` (0 when caught up or unknown).
double secondsBehind(const ShardLag& shard, std::int64_t nowMs);

// One sample of `target` from Kafka (statuses left OK).
GroupLag sampleGroup(kafka::GroupOffsets& kafka, const LagTarget& target, int shardCount,
                     std::int64_t nowMs);

// The groups to watch: the config's mappings (`onlyMapping` non-empty: just that one), then the
// groups of Kafka matching `patterns` (each on every topic it has offsets for). `errors` gets what
// could not be resolved (unknown stream, Kafka unavailable).
std::vector<std::pair<LagTarget, int>> resolveTargets(const config::Config& config,
                                                      const std::vector<std::string>& patterns,
                                                      kafka::GroupOffsets& kafka,
                                                      const StreamDirectory& streams,
                                                      std::vector<std::string>& errors);

// '*' = any run of characters, '?' = one character.
bool globMatch(const std::string& pattern, const std::string& text);

nlohmann::json toJson(const GroupLag& group, std::int64_t nowMs);

class LagMonitor {
 public:
  LagMonitor(std::shared_ptr<const config::Config> config, kafka::GroupOffsets& kafka,
             StreamDirectory streams, const Clock& clock);
  ~LagMonitor();
  LagMonitor(const LagMonitor&) = delete;
  LagMonitor& operator=(const LagMonitor&) = delete;

  void start();
  void stop();
  // One evaluation round (the thread's body; tests call it directly).
  void evaluateOnce();

  std::vector<GroupLag> snapshot() const;
  // {"interval_s","window","groups":[...]} for GET /v1/lag.
  std::string renderAll() const;
  // One mapping's group for GET /v1/lag/{mapping}; nullopt when no such mapping is watched.
  std::optional<std::string> renderMapping(const std::string& mapping) const;

  // Exports kbridge_lag_* gauges, refreshed from the latest round on every scrape. Call before
  // start(); the registry must outlive this monitor.
  void exportMetrics(MetricsRegistry& registry);

 private:
  void syncMetrics();

  std::shared_ptr<const config::Config> config_;
  kafka::GroupOffsets& kafka_;
  StreamDirectory streams_;
  const Clock& clock_;

  mutable std::mutex mutex_;  // guards groups_, history_
  std::vector<GroupLag> groups_;
  std::map<std::tuple<std::string, std::string, std::int32_t>, std::deque<LagSample>> history_;

  struct Metrics;
  std::unique_ptr<Metrics> metrics_;
  std::optional<PeriodicTask> task_;  // last: its rounds use everything above
};

}  // namespace kbridge::ops
