#pragma once
// The admin listener's routes: GET /healthz, GET /v1/mappings (each running mapping's counters as
// JSON), GET /metrics (the Prometheus text format, ops/metrics.h) and GET /v1/lag[/{mapping}]
// (consumer lag, ops/lag_monitor.h).

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "http/http.h"

namespace kbridge::app {

class AdminHandler final : public http::Handler {
 public:
  // `mappings` renders the /v1/mappings document; called on an I/O thread.
  AdminHandler(const std::atomic<bool>& ready, std::function<std::string()> mappings)
      : ready_(ready), mappings_(std::move(mappings)) {}
  // `render` produces the GET /metrics body (ops::MetricsRegistry::render); without it /metrics is
  // 404. Set before the listener starts.
  void setMetrics(std::function<std::string()> render) { metrics_ = std::move(render); }
  // GET /v1/lag and GET /v1/lag/{mapping} (ops::LagMonitor): `mapping` empty = every watched group;
  // nullopt = no such mapping (404). Set before the listener starts.
  using LagRender = std::function<std::optional<std::string>(const std::string& mapping)>;
  void setLag(LagRender render) { lag_ = std::move(render); }
  void handle(http::Request request, http::Respond respond) override;

 private:
  const std::atomic<bool>& ready_;
  std::function<std::string()> mappings_;
  std::function<std::string()> metrics_;
  LagRender lag_;
};

}  // namespace kbridge::app
