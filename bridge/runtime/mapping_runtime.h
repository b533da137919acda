#pragma once
// All event source mappings of a kbridge process: one MappingWorker per enabled mapping of the
// config, started after the catalog is loaded and stopped (gracefully, in parallel) before the
// producer is flushed. A disabled mapping runs no worker and so keeps its group's checkpoint
// untouched until it is enabled again.

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "config/config.h"
#include "runtime/handler.h"
#include "runtime/mapping_worker.h"

namespace kbridge::runtime {

// Builds the (unopened) handler of a mapping whose settings were validated at config load.
using HandlerFactory = std::function<std::unique_ptr<Handler>(const config::MappingConfig&)>;

class MappingRuntime {
 public:
  MappingRuntime(std::shared_ptr<const config::Config> config, streams::Catalog& catalog,
                 kafka::RecordProducer& producer, const Clock& clock, HandlerFactory handlers,
                 GroupConsumerFactory consumers, ops::MetricsRegistry* metrics = nullptr);
  ~MappingRuntime();

  void start();
  void stop(std::chrono::milliseconds grace);
  // {"mappings":[{"name","stream","enabled","running","state","invocations","delivered",...}]}
  // for the admin API; state is running | paused (for a replay; with "pause": {replay_id, reason,
  // deadline_ms}) | not running | disabled.
  std::string describe() const;

 private:
  std::shared_ptr<const config::Config> config_;
  streams::Catalog& catalog_;
  kafka::RecordProducer& producer_;
  const Clock& clock_;
  HandlerFactory handlers_;
  GroupConsumerFactory consumers_;
  ops::MetricsRegistry* metrics_;  // optional; handed to every worker
  mutable std::mutex mutex_;       // guards workers_ (describe() runs on an I/O thread)
  std::vector<std::unique_ptr<MappingWorker>> workers_;
};

// The GroupConsumerFactory of a real deployment: librdkafka consumers on config.kafka.
GroupConsumerFactory rdKafkaConsumers(const config::KafkaConfig& kafka);

}  // namespace kbridge::runtime
