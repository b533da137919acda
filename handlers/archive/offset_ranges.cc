#include "handlers/archive/offset_ranges.h"

#include <algorithm>

namespace kbridge::handlers::archive {
namespace {

// Appends [f, e) to sorted `out`, merging with its last range when they touch or overlap.
void append(std::vector<OffsetRanges::Range>& out, std::int64_t f, std::int64_t e) {
  if (!out.empty() && f <= out.back().second) {
    out.back().second = std::max(out.back().second, e);
  } else {
    out.emplace_back(f, e);
  }
}

}  // namespace

void OffsetRanges::addRange(std::int64_t first, std::int64_t end) {
  if (first >= end) return;
  // The common case: at or past the last range.
  if (ranges_.empty() || first >= ranges_.back().first) {
    append(ranges_, first, end);
    return;
  }
  // Ranges that touch or overlap [first, end) are [lo, hi).
  auto lo = std::lower_bound(ranges_.begin(), ranges_.end(), first,
                             [](const Range& r, std::int64_t v) { return r.second < v; });
  auto hi = std::upper_bound(lo, ranges_.end(), end,
                             [](std::int64_t v, const Range& r) { return v < r.first; });
  if (lo == hi) {
    ranges_.insert(lo, {first, end});
    return;
  }
  lo->first = std::min(lo->first, first);
  lo->second = std::max(std::prev(hi)->second, end);
  ranges_.erase(std::next(lo), hi);
}

void OffsetRanges::add(const OffsetRanges& other) {
  if (other.ranges_.empty()) return;
  if (ranges_.empty() || other.ranges_.front().first >= ranges_.back().first) {
    for (const auto& [f, e] : other.ranges_) append(ranges_, f, e);
    return;
  }
  std::vector<Range> out;
  out.reserve(ranges_.size() + other.ranges_.size());
  auto a = ranges_.cbegin(), b = other.ranges_.cbegin();
  while (a != ranges_.end() || b != other.ranges_.end()) {
    const bool takeA = b == other.ranges_.end() || (a != ranges_.end() && a->first <= b->first);
    const Range& r = takeA ? *a++ : *b++;
    append(out, r.first, r.second);
  }
  ranges_ = std::move(out);
}

void OffsetRanges::subtract(const OffsetRanges& other) {
  if (ranges_.empty() || other.ranges_.empty()) return;
  std::vector<Range> out;
  out.reserve(ranges_.size() + 1);
  auto b = other.ranges_.begin();
  for (auto [f, e] : ranges_) {
    while (b != other.ranges_.end() && b->second <= f) ++b;
    // Cut every range of `other` that overlaps [f, e) out of it.
    for (auto c = b; c != other.ranges_.end() && c->first < e; ++c) {
      if (c->first > f) out.emplace_back(f, c->first);
      f = std::max(f, c->second);
      if (f >= e) break;
    }
    if (f < e) out.emplace_back(f, e);
  }
  ranges_ = std::move(out);
}

bool OffsetRanges::contains(std::int64_t offset) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), offset,
                             [](std::int64_t v, const Range& r) { return v < r.first; });
  return it != ranges_.begin() && std::prev(it)->second > offset;
}

OffsetRanges OffsetRanges::intersect(const OffsetRanges& other) const {
  OffsetRanges out;
  auto a = ranges_.begin(), b = other.ranges_.begin();
  while (a != ranges_.end() && b != other.ranges_.end()) {
    const auto f = std::max(a->first, b->first), e = std::min(a->second, b->second);
    if (f < e) out.ranges_.emplace_back(f, e);
    if (a->second < b->second) {
      ++a;
    } else {
      ++b;
    }
  }
  return out;
}

std::int64_t OffsetRanges::count() const {
  std::int64_t n = 0;
  for (const auto& [f, e] : ranges_) n += e - f;
  return n;
}

std::int64_t OffsetRanges::countIn(std::int64_t first, std::int64_t end) const {
  std::int64_t n = 0;
  for (const auto& [f, e] : ranges_) {
    const auto a = std::max(f, first), b = std::min(e, end);
    if (a < b) n += b - a;
  }
  return n;
}

}  // namespace kbridge::handlers::archive
