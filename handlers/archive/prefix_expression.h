#pragma once
// Firehose's S3 prefix expression language (DESIGN.md §7), parsed once at config time:
//   !{timestamp:<pattern>}            the record's arrival time (UTC), a Java DateTimeFormatter
//                                     pattern subset: yyyy/uuuu, yy, MM/M, dd/d, HH/H, mm/m,
//                                     ss/s, SSS, 'quoted literals', and any non-letter as is
//   !{partitionKeyFromQuery:<name>}   a key extracted from the record (dynamic partitioning)
//   !{firehose:random-string}         11 random characters, chosen per object
//   !{firehose:error-output-type}     why a record is in the error prefix (error prefix only)
// A PrefixTemplate is immutable after parsing and safe to evaluate from any thread.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kbridge::handlers::archive {

// Firehose appends this when a prefix has no timestamp expression (and no partition key).
inline constexpr std::string_view kDefaultTimestampExpression = "!{timestamp:yyyy/MM/dd/HH/}";

// One field of a timestamp pattern: a literal or a number of `width` digits.
struct TimeField {
  enum class Kind { kLiteral, kYear, kYear2, kMonth, kDay, kHour, kMinute, kSecond, kMillis };
  Kind kind = Kind::kLiteral;
  int width = 0;        // minimum digits (1 = no padding)
  std::string literal;  // kLiteral only
};

struct PrefixPart {
  enum class Kind { kLiteral, kTimestamp, kPartitionKey, kRandomString, kErrorOutputType };
  Kind kind = Kind::kLiteral;
  std::string text;             // kLiteral: the text; kPartitionKey: the key name
  std::vector<TimeField> time;  // kTimestamp: the parsed pattern
};

// What an evaluation substitutes; null/empty members evaluate to "".
struct PrefixValues {
  std::int64_t timestampMs = 0;
  const std::map<std::string, std::string>* partitionKeys = nullptr;
  std::string_view randomString;
  std::string_view errorOutputType;
};

class PrefixTemplate {
 public:
  // Parses `text`; on error returns nullopt and sets `error` (without the JSON path).
  static std::optional<PrefixTemplate> parse(std::string_view text, std::string& error);

  std::string evaluate(const PrefixValues& values) const;
  void appendEvaluated(std::string& out, const PrefixValues& values) const;

  bool hasExpressions() const { return hasExpressions_; }
  bool hasTimestamp() const { return has(PrefixPart::Kind::kTimestamp); }
  bool hasRandomString() const { return has(PrefixPart::Kind::kRandomString); }
  bool hasErrorOutputType() const { return has(PrefixPart::Kind::kErrorOutputType); }
  std::vector<std::string> partitionKeyNames() const;
  // 1 when a timestamp expression shows milliseconds, else 1000: evaluations of two arrival
  // times in the same tick (and equal other values) are equal.
  std::int64_t timeResolutionMs() const;
  const std::vector<PrefixPart>& parts() const { return parts_; }
  const std::string& source() const { return source_; }

 private:
  bool has(PrefixPart::Kind kind) const;

  std::vector<PrefixPart> parts_;
  std::string source_;
  bool hasExpressions_ = false;
};

// Parses a DateTimeFormatter pattern of the supported subset; nullopt + `error` otherwise.
std::optional<std::vector<TimeField>> parseTimePattern(std::string_view pattern,
                                                       std::string& error);
void appendTime(std::string& out, const std::vector<TimeField>& fields, std::int64_t epochMs);

// 11 characters of [a-z0-9] drawn from `bits` (a random 64-bit value).
std::string randomString(std::uint64_t bits);

}  // namespace kbridge::handlers::archive
