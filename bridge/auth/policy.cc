#include "auth/policy.h"

#include <cctype>

namespace kbridge::auth {
namespace {

bool sameChar(char a, char b, bool ignoreCase) {
  if (!ignoreCase) return a == b;
  return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
}

}  // namespace

bool globMatch(std::string_view pattern, std::string_view text, bool ignoreCase) {
  // Iterative matching with one backtrack point: linear in practice, never exponential.
  std::size_t p = 0, t = 0, starP = std::string_view::npos, starT = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      starP = p++;
      starT = t;
    } else if (p < pattern.size() &&
               (pattern[p] == '?' || sameChar(pattern[p], text[t], ignoreCase))) {
      ++p;
      ++t;
    } else if (starP != std::string_view::npos) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool actionAllowed(const Principal& principal, std::string_view action) {
  for (const auto& pattern : principal.actions) {
    if (globMatch(pattern, action, /*ignoreCase=*/true)) return true;
  }
  return false;
}

bool streamAllowed(const Principal& principal, const std::optional<std::string>& stream) {
  for (const auto& pattern : principal.streams) {
    if (pattern == "*") return true;
    if (stream && globMatch(pattern, *stream)) return true;
  }
  return false;
}

bool allowsEveryStream(const Principal& principal) {
  for (const auto& pattern : principal.streams) {
    if (pattern == "*") return true;
  }
  return false;
}

std::optional<std::string> streamOfArn(std::string_view arn) {
  // arn:partition:kinesis:region:account:stream/NAME[/consumer/CONSUMER:TIMESTAMP]
  std::size_t colon = 0;
  for (int i = 0; i < 5; ++i) {
    colon = arn.find(':', colon);
    if (colon == std::string_view::npos) return std::nullopt;
    ++colon;
  }
  if (arn.substr(0, 4) != "arn:") return std::nullopt;
  auto resource = arn.substr(colon);
  constexpr std::string_view kStream = "stream/";
  if (resource.substr(0, kStream.size()) != kStream) return std::nullopt;
  resource.remove_prefix(kStream.size());
  resource = resource.substr(0, resource.find('/'));
  if (resource.empty()) return std::nullopt;
  return std::string(resource);
}

std::optional<std::string> targetStream(const nlohmann::json& input) {
  if (!input.is_object()) return std::nullopt;
  if (auto it = input.find("StreamName"); it != input.end() && it->is_string()) {
    return it->get<std::string>();
  }
  for (const char* key : {"StreamARN", "ConsumerARN", "ResourceARN"}) {
    if (auto it = input.find(key); it != input.end() && it->is_string()) {
      // An ARN that names no stream is treated as the resource "*": only "*" allows it.
      return streamOfArn(it->get_ref<const std::string&>());
    }
  }
  return std::nullopt;
}

}  // namespace kbridge::auth
