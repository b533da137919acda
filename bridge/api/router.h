#pragma once
// The pipeline REST API's router (the seed's API Gateway routes, DESIGN.md §7) on the Kinesis
// listener. Requests whose path starts with /api/ go to a small route table; everything else goes
// untouched to the fallback handler (the Kinesis dispatcher: POST / with X-Amz-Target), after one
// prefix comparison.
//
// A route is a method and a pattern of '/'-separated segments, where "{name}" matches one
// non-empty segment (percent-decoded into ApiRequest::params). For a path that some route
// matches, OPTIONS is answered as a CORS preflight (204) and another method with 405; any other
// /api path gets 404. Every /api answer carries the configured CORS headers.
//
// Adding a route family: write a function that calls router.add("POST", "/api/x/{name}/run", fn)
// for each route, where fn answers through `respond` exactly once, from any thread (work that may
// block goes to an executor, never on the I/O thread), and call it from serve.cc before the
// listener starts.
//
// Lifecycle: routes are added before the listener starts; afterwards handle() only reads the
// table, from any I/O thread.

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "http/http.h"

namespace kbridge::ops {
class ApiMetrics;
}

namespace kbridge::api {

struct ApiRequest {
  http::Request http;
  std::map<std::string, std::string> params;  // the pattern's {name} segments, decoded
  std::map<std::string, std::string> query;   // ?k=v pairs, decoded (the last one of a name wins)
};

using RouteHandler = std::function<void(ApiRequest request, http::Respond respond)>;

// Runs before a matched route's handler (not before preflights, which browsers send without
// credentials): nullopt lets the request through, a response is sent instead of the route's
// (e.g. 401 from a bearer-token check). `pattern` is the matched route's.
using RouteGuard = std::function<std::optional<http::Response>(
    const ApiRequest& request, std::string_view method, std::string_view pattern)>;

class ApiRouter final : public http::Handler {
 public:
  // `metrics` (optional) counts and times the routes under operation "api <METHOD> <pattern>".
  ApiRouter(http::Handler& fallback, config::CorsConfig cors, ops::ApiMetrics* metrics = nullptr);

  // `pattern` starts with "/api/". Not thread-safe: call before requests arrive.
  void add(std::string method, std::string pattern, RouteHandler handler);
  // At most one guard, for every route. Not thread-safe: call before requests arrive.
  void setGuard(RouteGuard guard) { guard_ = std::move(guard); }

  void handle(http::Request request, http::Respond respond) override;

  // True for the targets this router answers itself ("/api" and "/api/...").
  static bool isApiTarget(std::string_view target);

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::string operation;  // "api GET /api/data/{id}", the metrics label
    std::vector<std::string> segments;
    RouteHandler handler;
  };

  void route(http::Request request, http::Respond respond);
  http::Response preflight() const;  // 204 with Access-Control-Max-Age when configured

  http::Handler& fallback_;
  // Shared with every answer in flight, so an answer that completes after the router is gone
  // (a route's executor draining at shutdown) still has its headers.
  const std::shared_ptr<const config::CorsConfig> cors_;
  ops::ApiMetrics* metrics_;
  std::vector<Route> routes_;
  RouteGuard guard_;
};

// A JSON answer (Content-Type: application/json).
http::Response jsonResponse(int status, const nlohmann::json& body);
// {"message": TEXT} with `status`, the shape of every /api error answer.
http::Response errorResponse(int status, std::string_view message);

// Percent-decoding of a path segment or query component ('+' is a space only in queries).
// nullopt for a malformed escape.
std::optional<std::string> percentDecode(std::string_view text, bool plusIsSpace);

}  // namespace kbridge::api
