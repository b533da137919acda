#include "app/admin_handler.h"

#include "ops/metrics.h"

namespace kbridge::app {

void AdminHandler::handle(http::Request request, http::Respond respond) {
  http::Response r;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  const auto path = request.target.substr(0, request.target.find('?'));
  if (path == "/healthz" && (request.method == "GET" || request.method == "HEAD")) {
    const bool ready = ready_.load();
    r.status = ready ? 200 : 503;
    r.body = ready ? "ok\n" : "starting\n";
  } else if (path == "/v1/mappings" && request.method == "GET" && mappings_) {
    r.status = 200;
    r.headers.front().second = "application/json";
    r.body = mappings_();
  } else if (path == "/metrics" && (request.method == "GET" || request.method == "HEAD") &&
             metrics_) {
    r.status = 200;
    r.headers.front().second = ops::kMetricsContentType;
    r.body = metrics_();
  } else if ((path == "/v1/lag" || path.rfind("/v1/lag/", 0) == 0) && request.method == "GET" &&
             lag_) {
    const std::string mapping = path.size() > 8 ? std::string(path.substr(8)) : "";
    auto body = path == "/v1/lag/" ? std::nullopt : lag_(mapping);
    r.status = body ? 200 : 404;
    r.headers.front().second = "application/json";
    r.body = body ? *body : R"({"message":"no such mapping"})";
  } else {
    r.status = 404;
    r.body = "not found\n";
  }
  respond(std::move(r));
}

}  // namespace kbridge::app
