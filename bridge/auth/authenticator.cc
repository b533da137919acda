#include "auth/authenticator.h"

#include "auth/digest.h"

namespace kbridge::auth {

Authenticator::Authenticator(const config::Config& config, const Clock& clock)
    : region_(config.auth.region), accountId_(config.kinesis.accountId) {
  std::map<std::string, std::string> secrets;
  principals_.reserve(config.auth.principals.size());
  for (const auto& p : config.auth.principals) {
    principals_.push_back(Principal{p.name, p.accessKeyId, p.actions, p.streams});
    secrets.emplace(p.accessKeyId, p.secret);
  }
  for (std::size_t i = 0; i < principals_.size(); ++i) {
    byAccessKey_.emplace(principals_[i].accessKeyId, &principals_[i]);
    if (!config.auth.principals[i].apiToken.empty()) {
      tokens_.emplace_back(config.auth.principals[i].apiToken, &principals_[i]);
    }
  }
  verifier_ = std::make_unique<SigV4Verifier>(region_, "kinesis", std::move(secrets), clock);
}

Result<const Principal*, AuthError> Authenticator::authenticate(
    const http::Request& request) const {
  auto accessKeyId = verifier_->verify(request);
  if (!accessKeyId) return fail(accessKeyId.error());
  return byAccessKey_.find(*accessKeyId)->second;
}

Result<const Principal*, AuthError> Authenticator::authenticateBearer(
    std::string_view authorization) const {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size() ||
      authorization.substr(0, kScheme.size()) != kScheme) {
    return authError(AuthErrorKind::kMissingAuthenticationToken, "Missing Authentication Token");
  }
  const auto token = authorization.substr(kScheme.size());
  // Compare the token's digest with every principal's: the time taken says nothing about which
  // principal, or how much of a token, matched.
  const std::string presented = sha256Hex(token);
  const Principal* found = nullptr;
  for (const auto& [known, principal] : tokens_) {
    if (constantTimeEquals(sha256Hex(known), presented)) found = principal;
  }
  if (!found) {
    return authError(AuthErrorKind::kUnrecognizedClient, std::string(kUnrecognizedClientMessage));
  }
  return found;
}

bool Authenticator::decidesWithoutInput(const Principal& principal) const {
  return allowsEveryStream(principal);
}

Status<AuthError> Authenticator::authorize(const Principal& principal, std::string_view operation,
                                           const nlohmann::json& input) const {
  const std::string action = "kinesis:" + std::string(operation);
  const bool everyStream = allowsEveryStream(principal);
  auto stream = everyStream ? std::nullopt : targetStream(input);
  if (actionAllowed(principal, action) && (everyStream || streamAllowed(principal, stream))) {
    return {};
  }
  if (everyStream) stream = targetStream(input);
  const std::string arnPrefix = "arn:aws:kinesis:" + region_ + ":" + accountId_ + ":";
  return authError(AuthErrorKind::kAccessDenied,
                   "User: arn:aws:iam::" + accountId_ + ":user/" + principal.name +
                       " is not authorized to perform: " + action + " on resource: " + arnPrefix +
                       (stream ? "stream/" + *stream : std::string("*")) +
                       " because no identity-based policy allows the " + action + " action");
}

}  // namespace kbridge::auth
