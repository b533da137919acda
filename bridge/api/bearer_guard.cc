#include "api/bearer_guard.h"

#include <nlohmann/json.hpp>

#include "auth/authenticator.h"

namespace kbridge::api {

RouteGuard makeBearerGuard(const auth::Authenticator& authenticator, RouteAccessFn access) {
  return [&authenticator, access = std::move(access)](
             const ApiRequest& request, std::string_view method,
             std::string_view pattern) -> std::optional<http::Response> {
    auto principal = authenticator.authenticateBearer(request.http.header("Authorization"));
    if (!principal) {
      auto refused = errorResponse(401, "Unauthorized");
      refused.headers.emplace_back("WWW-Authenticate", "Bearer");
      return refused;
    }
    const auto needed = access(request, method, pattern);
    if (!needed) {
      return errorResponse(403, "User is not authorized to access this resource");
    }
    const nlohmann::json input = {{"StreamName", needed->stream}};
    if (auto allowed = authenticator.authorize(**principal, needed->operation, input); !allowed) {
      return errorResponse(403, allowed.error().message);
    }
    return std::nullopt;
  };
}

}  // namespace kbridge::api
