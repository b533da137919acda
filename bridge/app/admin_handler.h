#pragma once
// The admin listener's routes. This version serves GET /healthz; /metrics and /v1/lag come with
// the observability issue.

#include <atomic>

#include "http/http.h"

namespace kbridge::app {

class AdminHandler final : public http::Handler {
 public:
  explicit AdminHandler(const std::atomic<bool>& ready) : ready_(ready) {}
  void handle(http::Request request, http::Respond respond) override;

 private:
  const std::atomic<bool>& ready_;
};

}  // namespace kbridge::app
