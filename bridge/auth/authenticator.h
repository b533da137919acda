#pragma once
// The Kinesis API's gatekeeper with auth.mode "sigv4": who sent a request (its SigV4 signature,
// or a bearer token for the REST API) and whether that principal may do what it asks (its
// policy). Built once from the validated config; immutable afterwards, apart from the verifier's
// signing-key cache, so one instance serves every I/O thread.

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/policy.h"
#include "auth/sigv4.h"
#include "common/clock.h"
#include "config/config.h"
#include "http/http.h"

namespace kbridge::auth {

class Authenticator {
 public:
  // `config.auth` must be in mode kSigV4; the clock must outlive the authenticator.
  Authenticator(const config::Config& config, const Clock& clock);

  // The principal whose valid SigV4 signature the request carries; else AWS's error for it.
  Result<const Principal*, AuthError> authenticate(const http::Request& request) const;
  // The principal whose token an "Authorization: Bearer <token>" header carries (REST API).
  // MissingAuthenticationToken without one, UnrecognizedClient for an unknown token.
  Result<const Principal*, AuthError> authenticateBearer(std::string_view authorization) const;

  // True when allowed(principal, operation, input) does not depend on `input`, so a caller may
  // skip decoding the body for it.
  bool decidesWithoutInput(const Principal& principal) const;
  // Whether `principal` may call Kinesis `operation` ("PutRecord") with this decoded input; the
  // error is AccessDeniedException with IAM's wording.
  Status<AuthError> authorize(const Principal& principal, std::string_view operation,
                              const nlohmann::json& input) const;

 private:
  std::string region_;
  std::string accountId_;
  std::vector<Principal> principals_;
  std::map<std::string, const Principal*, std::less<>> byAccessKey_;
  std::vector<std::pair<std::string, const Principal*>> tokens_;
  std::unique_ptr<SigV4Verifier> verifier_;
};

}  // namespace kbridge::auth
