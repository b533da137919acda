#include "ops/lag_rules.h"

#include <algorithm>

namespace kbridge::ops {

std::string_view lagStatusName(LagStatus status) {
  switch (status) {
    case LagStatus::kOk:
      return "OK";
    case LagStatus::kWarn:
      return "WARN";
    case LagStatus::kStall:
      return "STALL";
    case LagStatus::kStop:
      return "STOP";
    case LagStatus::kRewind:
      return "REWIND";
    case LagStatus::kErr:
      return "ERR";
  }
  return "OK";
}

LagStatus evaluateShard(const std::deque<LagSample>& samples, std::size_t window) {
  if (samples.empty() || window == 0) return LagStatus::kOk;
  const std::size_t n = std::min(samples.size(), window);
  const auto first = samples.end() - static_cast<std::ptrdiff_t>(n);
  const LagSample& newest = samples.back();
  if (!newest.hasCommit() || newest.lag() == 0) return LagStatus::kOk;
  for (auto it = first; it + 1 != samples.end(); ++it) {
    if (it->hasCommit() && (it + 1)->hasCommit() && (it + 1)->committed < it->committed) {
      return LagStatus::kRewind;
    }
  }
  if (n < window) return LagStatus::kOk;
  if (std::any_of(first, samples.end(), [](const LagSample& s) { return s.lag() == 0; })) {
    return LagStatus::kOk;
  }
  const bool moved = std::any_of(
      first, samples.end(), [&](const LagSample& s) { return s.committed != newest.committed; });
  if (!moved) return newest.membersActive ? LagStatus::kStall : LagStatus::kStop;
  bool neverFell = true;
  for (auto it = first; it + 1 != samples.end(); ++it) {
    if ((it + 1)->lag() < it->lag()) neverFell = false;
  }
  if (neverFell && newest.lag() > first->lag()) return LagStatus::kWarn;
  return LagStatus::kOk;
}

LagStatus evaluateGroup(const std::vector<LagStatus>& shards) {
  LagStatus out = LagStatus::kOk;
  for (LagStatus s : shards) {
    if (s == LagStatus::kStall || s == LagStatus::kStop || s == LagStatus::kRewind) {
      return LagStatus::kErr;
    }
    if (s == LagStatus::kWarn) out = LagStatus::kWarn;
  }
  return out;
}

}  // namespace kbridge::ops
