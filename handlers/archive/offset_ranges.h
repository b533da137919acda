#pragma once
// OffsetRanges: a set of Kafka offsets kept as disjoint half-open ranges [first, end), merged on
// insertion — what an object covers, what a shard has published, what is buffered. Not
// thread-safe; owned by one shard's state (or a verifier).

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace kbridge::handlers::archive {

class OffsetRanges {
 public:
  void add(std::int64_t offset) { addRange(offset, offset + 1); }
  void addRange(std::int64_t first, std::int64_t end);
  void add(const OffsetRanges& other) {
    for (const auto& [f, e] : other.ranges_) addRange(f, e);
  }
  void subtract(const OffsetRanges& other);
  bool contains(std::int64_t offset) const;
  // Offsets present in both (for overlap reports).
  OffsetRanges intersect(const OffsetRanges& other) const;
  std::optional<std::int64_t> first() const {
    return ranges_.empty() ? std::nullopt : std::optional(ranges_.begin()->first);
  }
  std::optional<std::int64_t> end() const {
    return ranges_.empty() ? std::nullopt : std::optional(ranges_.rbegin()->second);
  }
  std::int64_t count() const;
  bool empty() const { return ranges_.empty(); }
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges() const {
    return {ranges_.begin(), ranges_.end()};
  }
  const std::map<std::int64_t, std::int64_t>& map() const { return ranges_; }
  bool operator==(const OffsetRanges& o) const { return ranges_ == o.ranges_; }

 private:
  std::map<std::int64_t, std::int64_t> ranges_;  // first → end
};

}  // namespace kbridge::handlers::archive
