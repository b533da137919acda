#include "runtime/mapping_runtime.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <thread>

namespace kbridge::runtime {

MappingRuntime::MappingRuntime(std::shared_ptr<const config::Config> config,
                               streams::Catalog& catalog, kafka::RecordProducer& producer,
                               const Clock& clock, HandlerFactory handlers,
                               GroupConsumerFactory consumers, ops::MetricsRegistry* metrics)
    : config_(std::move(config)),
      catalog_(catalog),
      producer_(producer),
      clock_(clock),
      handlers_(std::move(handlers)),
      consumers_(std::move(consumers)),
      metrics_(metrics) {}

MappingRuntime::~MappingRuntime() {
  stop(std::chrono::seconds(30));
}

void MappingRuntime::start() {
  for (std::size_t i = 0; i < config_->mappings.size(); ++i) {
    const auto& mapping = config_->mappings[i];
    if (!mapping.enabled) {
      spdlog::info("mapping {}: disabled; its checkpoint is kept", mapping.name);
      continue;
    }
    MappingWorker::Deps deps;
    deps.config = config_;
    deps.mapping = &mapping;
    deps.catalog = &catalog_;
    deps.producer = &producer_;
    deps.handler = handlers_(mapping);
    if (!deps.handler) {
      spdlog::error("mapping {}: cannot build its {} handler", mapping.name, mapping.handlerType);
      continue;
    }
    if (!mapping.filter.is_null()) {
      std::vector<std::string> errors;
      deps.filter = RecordFilter::compile(mapping.filter,
                                          "$.mappings[" + std::to_string(i) + "].filter", errors);
      if (!deps.filter) {
        for (const auto& e : errors) spdlog::error("mapping {}: {}", mapping.name, e);
        continue;
      }
    }
    deps.clock = &clock_;
    deps.makeConsumer = consumers_;
    deps.metrics = metrics_;
    auto worker = std::make_unique<MappingWorker>(std::move(deps));
    worker->start();
    std::lock_guard lock(mutex_);
    workers_.push_back(std::move(worker));
  }
}

void MappingRuntime::stop(std::chrono::milliseconds grace) {
  std::vector<std::unique_ptr<MappingWorker>> workers;
  {
    std::lock_guard lock(mutex_);
    workers.swap(workers_);
  }
  std::vector<std::thread> stopping;
  for (auto& w : workers) stopping.emplace_back([&w, grace] { w->stop(grace); });
  for (auto& t : stopping) t.join();
}

std::string MappingRuntime::describe() const {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  std::lock_guard lock(mutex_);
  for (const auto& mapping : config_->mappings) {
    nlohmann::ordered_json m = {{"name", mapping.name},
                                {"stream", mapping.stream},
                                {"handler", mapping.handlerType},
                                {"consumer_group", mapping.consumerGroup},
                                {"enabled", mapping.enabled},
                                {"running", false},
                                {"state", mapping.enabled ? "not running" : "disabled"}};
    for (const auto& w : workers_) {
      if (w->name() != mapping.name) continue;
      const auto& c = w->counters();
      m["running"] = true;
      // "paused": left its group for a replay (streams/group_control.h) and will rejoin.
      const auto pause = w->pauseStatus();
      m["state"] = pause.paused ? "paused" : "running";
      if (pause.paused) {
        m["pause"] = {{"replay_id", pause.replayId},
                      {"reason", pause.reason},
                      {"deadline_ms", pause.deadlineMs}};
      }
      m["invocations"] = c.invocations.load();
      m["errors"] = c.errors.load();
      m["delivered"] = c.delivered.load();
      m["filtered"] = c.filtered.load();
      m["sent_to_on_failure"] = c.discarded.load();
    }
    out.push_back(std::move(m));
  }
  return nlohmann::ordered_json{{"mappings", std::move(out)}}.dump();
}

GroupConsumerFactory rdKafkaConsumers(const config::KafkaConfig& kafka) {
  return
      [kafka](const kafka::GroupConsumerOptions& options, kafka::GroupRebalanceListener& listener) {
        return kafka::makeRdKafkaGroupConsumer(kafka, options, listener);
      };
}

}  // namespace kbridge::runtime
