#include "streams/group_control.h"

#include <nlohmann/json.hpp>

namespace kbridge::streams {
namespace {

constexpr std::string_view kPrefix = "#group/";
constexpr const char* kKind = "group-control";

}  // namespace

std::string groupControlKey(const std::string& group) {
  return std::string(kPrefix) + group;
}

std::optional<std::string> groupOfControlKey(const std::string& key) {
  if (key.size() <= kPrefix.size() || key.compare(0, kPrefix.size(), kPrefix) != 0) {
    return std::nullopt;
  }
  return key.substr(kPrefix.size());
}

const char* groupControlStateName(GroupControl::State state) {
  return state == GroupControl::State::kPaused ? "paused" : "resumed";
}

std::string encodeGroupControl(const GroupControl& control) {
  return nlohmann::json{{"v", 1},
                        {"kind", kKind},
                        {"group", control.group},
                        {"state", groupControlStateName(control.state)},
                        {"replayId", control.replayId},
                        {"mapping", control.mapping},
                        {"reason", control.reason},
                        {"deadlineMs", control.deadlineMs},
                        {"writtenMs", control.writtenMs}}
      .dump();
}

std::optional<GroupControl> decodeGroupControl(const std::string& group, const std::string& value) {
  auto doc = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  if (auto kind = doc.find("kind"); kind == doc.end() || *kind != kKind) return std::nullopt;
  const auto str = [&](const char* name) -> std::optional<std::string> {
    auto it = doc.find(name);
    if (it == doc.end()) return std::string();
    if (!it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  const auto num = [&](const char* name) -> std::optional<std::int64_t> {
    auto it = doc.find(name);
    if (it == doc.end() || !it->is_number_integer()) return std::nullopt;
    return it->get<std::int64_t>();
  };
  auto g = str("group");
  auto state = str("state");
  auto id = str("replayId");
  auto mapping = str("mapping");
  auto reason = str("reason");
  auto deadline = num("deadlineMs");
  auto written = num("writtenMs");
  if (!g || *g != group || !state || !id || !mapping || !reason || !deadline || !written) {
    return std::nullopt;
  }
  GroupControl out;
  if (*state == "paused") {
    out.state = GroupControl::State::kPaused;
  } else if (*state == "resumed") {
    out.state = GroupControl::State::kResumed;
  } else {
    return std::nullopt;
  }
  out.group = *g;
  out.replayId = *id;
  out.mapping = *mapping;
  out.reason = *reason;
  out.deadlineMs = *deadline;
  out.writtenMs = *written;
  return out;
}

}  // namespace kbridge::streams
