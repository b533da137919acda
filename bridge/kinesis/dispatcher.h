#pragma once
// The Kinesis endpoint: turns an HTTP request into an action call and the result into Kinesis's
// wire response. Checks run in the order AWS applies them (method, target, content type, body,
// operation, input shape), so each malformed request gets the error AWS would give.
//
// Thread-safe; holds no per-request state.

#include "http/http.h"
#include "kinesis/action.h"

namespace kbridge::auth {
class Authenticator;
}

namespace kbridge::kinesis {

class Dispatcher final : public http::Handler {
 public:
  // With an authenticator (auth.mode "sigv4"), every request that names a known operation must be
  // signed by a principal allowed to call it; checked after the body is decoded, before the
  // input is validated, as AWS does.
  explicit Dispatcher(Services& services, const auth::Authenticator* authenticator = nullptr)
      : services_(services), auth_(authenticator) {}
  void handle(http::Request request, http::Respond respond) override;

 private:
  Services& services_;
  const auth::Authenticator* auth_;
};

// Builds the wire form of an error, as AWS sends it, in the given format.
http::Response errorResponse(const ApiError& error, WireFormat format);

}  // namespace kbridge::kinesis
