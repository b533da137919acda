// http::Request::header() lives in bridge/http/server.cc with the Beast listener; the fuzz
// targets need only the lookup, so they get this copy of it instead of Beast and Asio.

#include <cctype>

#include "http/http.h"

namespace kbridge::http {

std::string_view Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; same && i < key.size(); ++i) {
      same = std::tolower(static_cast<unsigned char>(key[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return value;
  }
  return {};
}

}  // namespace kbridge::http
