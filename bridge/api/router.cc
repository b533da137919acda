#include "api/router.h"

#include <chrono>
#include <optional>

#include "ops/api_metrics.h"

namespace kbridge::api {
namespace {

std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 1;  // after the leading '/'
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string_view::npos ? path.size() : slash;
    out.push_back(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void addCors(http::Response& response, const config::CorsConfig& cors) {
  response.headers.emplace_back("Access-Control-Allow-Origin", cors.allowOrigin);
  response.headers.emplace_back("Access-Control-Allow-Headers", cors.allowHeaders);
  response.headers.emplace_back("Access-Control-Allow-Methods", cors.allowMethods);
}

}  // namespace

std::optional<std::string> percentDecode(std::string_view text, bool plusIsSpace) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hexValue(text[i + 1]), lo = hexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plusIsSpace) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

http::Response jsonResponse(int status, const nlohmann::json& body) {
  http::Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

http::Response errorResponse(int status, std::string_view message) {
  return jsonResponse(status, nlohmann::json{{"message", message}});
}

ApiRouter::ApiRouter(http::Handler& fallback, config::CorsConfig cors, ops::ApiMetrics* metrics)
    : fallback_(fallback),
      cors_(std::make_shared<const config::CorsConfig>(std::move(cors))),
      metrics_(metrics) {}

bool ApiRouter::isApiTarget(std::string_view target) {
  if (target.size() < 4 || target.compare(0, 4, "/api") != 0) return false;
  return target.size() == 4 || target[4] == '/' || target[4] == '?';
}

void ApiRouter::add(std::string method, std::string pattern, RouteHandler handler) {
  Route route;
  route.operation = "api " + method + " " + pattern;
  route.method = std::move(method);
  for (auto s : splitPath(pattern)) route.segments.emplace_back(s);
  route.pattern = std::move(pattern);
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

void ApiRouter::handle(http::Request request, http::Respond respond) {
  // The Kinesis path: one comparison, then straight on.
  if (!isApiTarget(request.target)) return fallback_.handle(std::move(request), std::move(respond));
  route(std::move(request), std::move(respond));
}

void ApiRouter::route(http::Request request, http::Respond respond) {
  const auto question = request.target.find('?');
  const std::string_view path = std::string_view(request.target).substr(0, question);
  const auto segments = splitPath(path);

  // Which routes match the path, and the parameters of each.
  std::vector<const Route*> matching;
  std::vector<std::map<std::string, std::string>> captured;
  bool malformed = false;
  for (const auto& r : routes_) {
    if (r.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      const auto& want = r.segments[i];
      if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
        auto decoded = percentDecode(segments[i], false);
        if (!decoded) malformed = true;
        match = decoded && !decoded->empty();
        if (match) params[want.substr(1, want.size() - 2)] = std::move(*decoded);
      } else {
        match = want == segments[i];
      }
    }
    if (!match) continue;
    matching.push_back(&r);
    captured.push_back(std::move(params));
  }

  const Route* chosen = nullptr;
  std::size_t chosenIndex = 0;
  for (std::size_t i = 0; i < matching.size(); ++i) {
    if (matching[i]->method == request.method) {
      chosen = matching[i];
      chosenIndex = i;
      break;
    }
  }
  if (metrics_) {
    respond = metrics_->instrument(chosen ? std::string_view(chosen->operation) : "api",
                                   std::chrono::steady_clock::now(), std::move(respond));
  }
  http::Respond withCors = [respond = std::move(respond), cors = cors_](http::Response response) {
    addCors(response, *cors);
    respond(std::move(response));
  };

  if (!chosen) {
    if (!matching.empty() && request.method == "OPTIONS") return withCors(preflight());
    if (!matching.empty()) {
      auto r = errorResponse(
          405, "Method " + request.method + " is not allowed on " + std::string(path) + ".");
      std::string allow;
      for (const auto* m : matching) allow += (allow.empty() ? "" : ", ") + m->method;
      r.headers.emplace_back("Allow", allow + ", OPTIONS");
      return withCors(std::move(r));
    }
    return withCors(
        errorResponse(malformed ? 400 : 404, malformed ? "Malformed path." : "Not Found"));
  }

  ApiRequest api;
  api.params = std::move(captured[chosenIndex]);
  if (question != std::string::npos) {
    std::string_view query = std::string_view(request.target).substr(question + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const auto pair = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
      if (pair.empty()) continue;
      const auto eq = pair.find('=');
      auto key = percentDecode(pair.substr(0, eq), true);
      auto value = percentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
      if (!key || !value) {
        return withCors(errorResponse(400, "Malformed query string."));
      }
      api.query[std::move(*key)] = std::move(*value);
    }
  }
  api.http = std::move(request);
  if (guard_) {
    if (auto refused = guard_(api, chosen->method, chosen->pattern)) {
      return withCors(std::move(*refused));
    }
  }
  chosen->handler(std::move(api), std::move(withCors));
}

http::Response ApiRouter::preflight() const {
  http::Response r;
  r.status = 204;
  if (cors_->maxAgeS > 0) {
    r.headers.emplace_back("Access-Control-Max-Age", std::to_string(cors_->maxAgeS));
  }
  return r;
}

}  // namespace kbridge::api
