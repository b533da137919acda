#pragma once
// The REST API's access check when auth.mode is "sigv4" (README "Security"): every /api route
// needs "Authorization: Bearer <token>" with a principal's api token, and that principal's policy
// must allow what the route does in Kinesis terms (POST /api/ingest/stream is a PutRecords on the
// ingest stream, GET /api/data a GetRecords on the table mapping's stream, ...). The answers are
// API Gateway's: 401 {"message":"Unauthorized"} without a known token, 403 with IAM's wording when
// the policy denies. CORS preflights never reach a guard (browsers send them without credentials).

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "api/router.h"

namespace kbridge::auth {
class Authenticator;
}

namespace kbridge::api {

// What a route does, for the policy: a Kinesis operation ("PutRecords") on a stream.
struct RouteAccess {
  std::string operation;
  std::string stream;
};

// The access a matched route needs; nullopt = a route nobody may call with a token (denied).
using RouteAccessFn = std::function<std::optional<RouteAccess>(
    const ApiRequest& request, std::string_view method, std::string_view pattern)>;

// `authenticator` outlives the guard.
RouteGuard makeBearerGuard(const auth::Authenticator& authenticator, RouteAccessFn access);

}  // namespace kbridge::api
