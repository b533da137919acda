#include "ops/api_metrics.h"

#include <mutex>

namespace kbridge::ops {

ApiMetrics::ApiMetrics(MetricsRegistry& registry)
    : requests_(registry.counter("kbridge_api_requests_total",
                                 "Kinesis API requests answered, by operation and status.")),
      duration_(registry.histogram("kbridge_api_request_duration_seconds",
                                   "Time from a Kinesis API request's arrival to its answer.")) {}

const ApiMetrics::Operation& ApiMetrics::operation(std::string_view name) {
  {
    std::shared_lock lock(mutex_);
    if (auto it = operations_.find(name); it != operations_.end()) return it->second;
  }
  std::unique_lock lock(mutex_);
  auto [it, inserted] = operations_.try_emplace(name);
  if (inserted) {
    const std::string op(name);
    it->second.ok = &requests_.Add({{"operation", op}, {"status", "OK"}});
    it->second.duration = &duration_.Add({{"operation", op}}, latencySecondsBuckets());
  }
  return it->second;
}

void ApiMetrics::record(std::string_view name, const http::Response& response, double seconds) {
  const Operation& op = operation(name);
  if (response.status == 200) {
    op.ok->Increment();
  } else {
    requests_.Add({{"operation", std::string(name)}, {"status", statusLabel(response)}})
        .Increment();
  }
  op.duration->Observe(seconds);
}

http::Respond ApiMetrics::instrument(std::string_view name,
                                     std::chrono::steady_clock::time_point start,
                                     http::Respond respond) {
  return [this, name, start, respond = std::move(respond)](http::Response response) {
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    record(name, response, elapsed.count());
    respond(std::move(response));
  };
}

std::string statusLabel(const http::Response& response) {
  if (response.status == 200) return "OK";
  for (const auto& [key, value] : response.headers) {
    if (key == "x-amzn-ErrorType") return value;
  }
  return std::to_string(response.status);
}

}  // namespace kbridge::ops
