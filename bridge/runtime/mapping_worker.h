#pragma once
// One event source mapping at work (DESIGN.md §6): a member of the mapping's consumer group that
// reads the stream's topic, keeps a ShardPipeline per owned shard, runs the handler's deliveries
// on a pool, sends failure records to on_failure, and commits the checkpoint — only offsets below
// which every record is delivered, filtered out or given up on, and durable in the handler.
//
// Threading: one poll thread (start() .. stop()) owns the consumer; it reads, batches, times
// windows and back-offs, commits once a second and handles rebalances. Deliveries run on the
// worker's pool and hand their lane its next batch themselves, so a busy shard never waits for the
// poll loop. All pipeline state is guarded by one mutex.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/executor.h"
#include "config/config.h"
#include "kafka/group_consumer.h"
#include "ops/mapping_metrics.h"
#include "runtime/filter.h"
#include "runtime/handler.h"
#include "runtime/pause_gate.h"
#include "runtime/shard_pipeline.h"

namespace kbridge::kafka {
class RecordProducer;
}
namespace kbridge::streams {
class Catalog;
}

namespace kbridge::runtime {

using GroupConsumerFactory = std::function<std::unique_ptr<kafka::GroupConsumer>(
    const kafka::GroupConsumerOptions&, kafka::GroupRebalanceListener&)>;

// Counters a mapping keeps (exported as metrics by a later issue; logged at shutdown now).
struct MappingCounters {
  std::atomic<std::uint64_t> invocations{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> filtered{0};
  std::atomic<std::uint64_t> discarded{0};
};

class MappingWorker final : public kafka::GroupRebalanceListener {
 public:
  struct Deps {
    std::shared_ptr<const config::Config> config;
    const config::MappingConfig* mapping = nullptr;  // points into *config
    streams::Catalog* catalog = nullptr;
    kafka::RecordProducer* producer = nullptr;  // for on_failure
    std::unique_ptr<Handler> handler;
    std::optional<RecordFilter> filter;
    const Clock* clock = nullptr;
    GroupConsumerFactory makeConsumer;
    ops::MetricsRegistry* metrics = nullptr;  // optional; outlives the worker
  };

  explicit MappingWorker(Deps deps);
  ~MappingWorker() override;
  MappingWorker(const MappingWorker&) = delete;
  MappingWorker& operator=(const MappingWorker&) = delete;

  void start();
  // Graceful: stop reading, let deliveries in flight finish (up to `grace`), flush the handler,
  // commit what is durable, leave the group. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(30));

  // Pause for a replay (streams/group_control.h, runtime/pause_gate.h): when the catalog holds a
  // pause for the mapping's group, the poll thread lets deliveries in flight finish, commits, and
  // closes its consumer (leaving the group) but keeps the handler open; it rejoins when the pause
  // is resumed or its deadline passes, from the group's committed offsets.
  struct PauseStatus {
    bool paused = false;
    std::string replayId;
    std::string reason;
    std::int64_t deadlineMs = 0;
  };
  PauseStatus pauseStatus() const;

  const MappingCounters& counters() const { return counters_; }
  const std::string& name() const { return mapping_.name; }

  // GroupRebalanceListener (called on the poll thread).
  void onAssigned(const kafka::PartitionOffsets& partitions) override;
  void onRevoked(const std::vector<std::int32_t>& partitions) override;

 private:
  int poolThreads(std::size_t shards) const;
  struct Shard {
    std::int32_t partition = 0;
    std::string shardId;
    ShardPipeline pipeline;
    bool revoked = false;
    bool paused = false;
    std::int64_t committed = -1;
    prometheus::Gauge* iteratorAge = nullptr;  // with metrics
    Shard(std::int32_t p, std::string id, const PipelineOptions& o, std::int64_t start)
        : partition(p), shardId(std::move(id)), pipeline(o, start) {}
  };

  void run();
  bool waitForStream();
  bool joinGroup();
  PauseGate::Change observePause();
  bool pauseRequested();
  // Sleeps while the group is paused; false when stopping.
  bool holdWhilePaused();
  void leaveGroupForPause();
  void pollOnce();
  // Hands out every ready task of `shard`; mutex_ held.
  void dispatch(const std::shared_ptr<Shard>& shard, std::int64_t now);
  void runTask(std::shared_ptr<Shard> shard, PipelineTask task);
  bool sendFailureRecord(const Shard& shard, const PipelineTask& task);
  void commitShards(const std::vector<std::shared_ptr<Shard>>& shards);
  void applyBackPressure();
  bool waitIdle(const std::vector<std::shared_ptr<Shard>>& shards,
                std::chrono::milliseconds timeout);
  std::string sequenceNumberOf(std::int32_t partition, std::int64_t offset) const;
  bool sleepUnlessStopping(std::chrono::milliseconds d);

  std::shared_ptr<const config::Config> config_;
  const config::MappingConfig& mapping_;
  streams::Catalog* catalog_;
  kafka::RecordProducer* producer_;
  std::unique_ptr<Handler> handler_;
  std::optional<RecordFilter> filter_;
  const Clock* clock_;
  GroupConsumerFactory makeConsumer_;
  PipelineOptions options_;
  HandlerContext context_;
  std::uint64_t generation_ = 0;
  std::string topic_;

  std::unique_ptr<kafka::GroupConsumer> consumer_;
  std::unique_ptr<ThreadPool> pool_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex stopMutex_;
  std::condition_variable stopSignal_;

  std::mutex mutex_;
  std::condition_variable taskDone_;
  std::map<std::int32_t, std::shared_ptr<Shard>> shards_;
  std::int64_t lastCommitMs_ = 0;
  std::chrono::milliseconds grace_{30000};
  MappingCounters counters_;
  std::unique_ptr<ops::MappingMetrics> metrics_;  // null without a registry

  mutable std::mutex gateMutex_;  // guards gate_ (pauseStatus() runs on an I/O thread)
  PauseGate gate_;
  std::atomic<bool> leaving_{false};  // closing the consumer for a pause
};

}  // namespace kbridge::runtime
