#include "handlers/archive/offset_ranges.h"

#include <algorithm>

namespace kbridge::handlers::archive {

void OffsetRanges::addRange(std::int64_t first, std::int64_t end) {
  if (first >= end) return;
  auto it = ranges_.upper_bound(first);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= first) {  // touches or overlaps the previous range
      first = prev->first;
      end = std::max(end, prev->second);
      it = ranges_.erase(prev);
    }
  }
  while (it != ranges_.end() && it->first <= end) {
    end = std::max(end, it->second);
    it = ranges_.erase(it);
  }
  ranges_.emplace(first, end);
}

void OffsetRanges::subtract(const OffsetRanges& other) {
  for (const auto& [f, e] : other.ranges_) {
    auto it = ranges_.upper_bound(f);
    if (it != ranges_.begin()) --it;
    while (it != ranges_.end() && it->first < e) {
      const auto [a, b] = *it;
      if (b <= f) {
        ++it;
        continue;
      }
      it = ranges_.erase(it);
      if (a < f) ranges_.emplace(a, f);
      if (b > e) {
        ranges_.emplace(e, b);
        break;
      }
    }
  }
}

bool OffsetRanges::contains(std::int64_t offset) const {
  auto it = ranges_.upper_bound(offset);
  if (it == ranges_.begin()) return false;
  return std::prev(it)->second > offset;
}

OffsetRanges OffsetRanges::intersect(const OffsetRanges& other) const {
  OffsetRanges out;
  for (const auto& [f, e] : other.ranges_) {
    auto it = ranges_.upper_bound(f);
    if (it != ranges_.begin()) --it;
    for (; it != ranges_.end() && it->first < e; ++it) {
      const auto a = std::max(f, it->first), b = std::min(e, it->second);
      if (a < b) out.addRange(a, b);
    }
  }
  return out;
}

std::int64_t OffsetRanges::count() const {
  std::int64_t n = 0;
  for (const auto& [f, e] : ranges_) n += e - f;
  return n;
}

}  // namespace kbridge::handlers::archive
