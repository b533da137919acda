#pragma once
// Kinesis sequence numbers for records stored in Kafka (DESIGN.md §3).
//
// A sequence number is the decimal form of a 128-bit integer laid out as
//   [ generation : 48 ][ shard : 20 ][ offset : 60 ]
// generation = the stream's creation time in epoch milliseconds (unique per re-creation of a name),
// shard = the Kafka partition, offset = the Kafka offset. Within a shard the number grows strictly
// with the offset; across shards and re-creations numbers never collide; decoding is O(1).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "streams/uint128.h"

namespace kbridge::streams {

inline constexpr int kGenerationBits = 48;
inline constexpr int kShardBits = 20;
inline constexpr int kOffsetBits = 60;
inline constexpr std::uint64_t kMaxShardIndex = (std::uint64_t{1} << kShardBits) - 1;
inline constexpr std::uint64_t kMaxOffset = (std::uint64_t{1} << kOffsetBits) - 1;

struct SequenceNumber {
  std::uint64_t generation = 0;  // < 2^48
  std::uint32_t shard = 0;       // < 2^20
  std::uint64_t offset = 0;      // < 2^60

  uint128 value() const;
  std::string toString() const;
  static SequenceNumber fromValue(uint128 value);
  // nullopt when `text` is not a decimal number of at most 128 bits.
  static std::optional<SequenceNumber> parse(std::string_view text);

  friend bool operator==(const SequenceNumber&, const SequenceNumber&) = default;
};

// The sequence numbers of one shard's records in offset order, as decimal text: consecutive
// offsets give consecutive numbers, so the previous text is incremented in place instead of
// converting 128 bits for every record (GetRecords pages, PutRecords answers).
class SequenceText {
 public:
  SequenceText(std::uint64_t generation, std::uint32_t shard)
      : generation_(generation), shard_(shard) {}

  // The number of (generation, shard, offset); valid until the next call.
  const std::string& of(std::uint64_t offset) {
    if (text_.empty() || offset != last_ + 1 || !increment()) {
      text_ = SequenceNumber{generation_, shard_, offset}.toString();
    }
    last_ = offset;
    return text_;
  }
  std::uint32_t shard() const { return shard_; }

 private:
  // Adds one to the decimal text; false when every digit carries (the length would change).
  bool increment() {
    for (auto it = text_.rbegin(); it != text_.rend(); ++it) {
      if (*it != '9') {
        ++*it;
        return true;
      }
      *it = '0';
    }
    return false;
  }

  std::uint64_t generation_;
  std::uint32_t shard_;
  std::uint64_t last_ = 0;
  std::string text_;
};

}  // namespace kbridge::streams
