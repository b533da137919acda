#pragma once
// The admin listener's routes. This version serves GET /healthz and GET /v1/mappings (each running
// mapping's counters as JSON); /metrics and /v1/lag come with the observability issue.

#include <atomic>
#include <functional>
#include <string>

#include "http/http.h"

namespace kbridge::app {

class AdminHandler final : public http::Handler {
 public:
  // `mappings` renders the /v1/mappings document; called on an I/O thread.
  AdminHandler(const std::atomic<bool>& ready, std::function<std::string()> mappings)
      : ready_(ready), mappings_(std::move(mappings)) {}
  void handle(http::Request request, http::Respond respond) override;

 private:
  const std::atomic<bool>& ready_;
  std::function<std::string()> mappings_;
};

}  // namespace kbridge::app
