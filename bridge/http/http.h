#pragma once
// HTTP seam: plain request/response values and the handler interface the listeners call. No
// Beast/Asio types here, so handlers can be tested without sockets.

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kbridge::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;
  std::string target;
  Headers headers;
  std::string body;
  std::string remoteAddress;

  // Case-insensitive lookup; empty when absent.
  std::string_view header(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
};

// Called exactly once per request, from any thread.
using Respond = std::function<void(Response)>;

class Handler {
 public:
  virtual ~Handler() = default;
  virtual void handle(Request request, Respond respond) = 0;
};

}  // namespace kbridge::http
