#pragma once
// OffsetRanges: a set of Kafka offsets kept as disjoint, non-touching half-open ranges
// [first, end) in a sorted vector — what an object covers, what a shard has published, what is
// buffered. Offsets mostly arrive in increasing order, so add() at the end is O(1) and allocates
// nothing; sets are merged, subtracted and intersected in one linear pass. 16 bytes per range,
// which matters when dynamic partitioning interleaves many objects' offsets. Not thread-safe;
// owned by one shard's state (or a verifier).

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace kbridge::handlers::archive {

class OffsetRanges {
 public:
  using Range = std::pair<std::int64_t, std::int64_t>;  // [first, end)

  void add(std::int64_t offset) { addRange(offset, offset + 1); }
  void addRange(std::int64_t first, std::int64_t end);
  void add(const OffsetRanges& other);
  void subtract(const OffsetRanges& other);
  bool contains(std::int64_t offset) const;
  // Offsets present in both (for overlap reports).
  OffsetRanges intersect(const OffsetRanges& other) const;
  std::optional<std::int64_t> first() const {
    return ranges_.empty() ? std::nullopt : std::optional(ranges_.front().first);
  }
  std::optional<std::int64_t> end() const {
    return ranges_.empty() ? std::nullopt : std::optional(ranges_.back().second);
  }
  std::int64_t count() const;
  // Offsets in [first, end) that the set holds.
  std::int64_t countIn(std::int64_t first, std::int64_t end) const;
  bool empty() const { return ranges_.empty(); }
  const std::vector<Range>& ranges() const { return ranges_; }
  bool operator==(const OffsetRanges& o) const { return ranges_ == o.ranges_; }

 private:
  std::vector<Range> ranges_;  // sorted; each range non-empty; neighbours neither touch nor overlap
};

}  // namespace kbridge::handlers::archive
