#include "app/admin_handler.h"

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
  } else {
    r.status = 404;
    r.body = "not found\n";
  }
  respond(std::move(r));
}

}  // namespace kbridge::app
