#pragma once
// The compiled form of a RecordFilter's patterns: a small immutable tree that filter_compiler.cc
// builds from the config's JSON and filter.cc walks for each record. Internal to those two files.
//
// Threading: built once, then only read (from any number of threads).

#include <algorithm>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace kbridge::runtime::filter_detail {

using Json = nlohmann::json;

inline char asciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string asciiLower(std::string s) {
  for (char& c : s) c = asciiLower(c);
  return s;
}

// `a` equals `lowered` ignoring ASCII case; `lowered` is already lower case.
inline bool equalsFolded(std::string_view a, std::string_view lowered) {
  if (a.size() != lowered.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (asciiLower(a[i]) != lowered[i]) return false;
  }
  return true;
}

inline bool equalsMaybeFolded(std::string_view a, std::string_view b, bool fold) {
  return fold ? equalsFolded(a, b) : a == b;
}

// A number from a pattern or an event: integers compare exactly, anything else as a double.
struct Number {
  double value = 0;
  bool isInteger = false;
  std::int64_t integer = 0;

  static Number of(const Json& j) {
    Number n;
    n.value = j.get<double>();
    if (j.is_number_integer() && !j.is_number_unsigned()) {
      n.isInteger = true;
      n.integer = j.get<std::int64_t>();
    } else if (j.is_number_unsigned() &&
               j.get<std::uint64_t>() <=
                   static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      n.isInteger = true;
      n.integer = static_cast<std::int64_t>(j.get<std::uint64_t>());
    }
    return n;
  }
  static Number of(double d) {
    Number n;
    n.value = d;
    return n;
  }
  bool operator==(const Number& o) const {
    return (isInteger && o.isInteger) ? integer == o.integer : value == o.value;
  }
};

// One leaf value of the event, viewed without copying.
struct Scalar {
  enum class Type { kString, kNumber, kBool, kNull };
  Type type = Type::kNull;
  std::string_view text;
  Number number;
  bool boolean = false;

  static Scalar string(std::string_view s) {
    Scalar v;
    v.type = Type::kString;
    v.text = s;
    return v;
  }
  static Scalar of(const Json& j) {  // j is not an object or array
    Scalar v;
    if (j.is_string()) {
      v.type = Type::kString;
      v.text = j.get_ref<const std::string&>();
    } else if (j.is_number()) {
      v.type = Type::kNumber;
      v.number = Number::of(j);
    } else if (j.is_boolean()) {
      v.type = Type::kBool;
      v.boolean = j.get<bool>();
    }
    return v;
  }
};

// A test on a string: equality, prefix, suffix or wildcard, optionally ignoring ASCII case.
struct StringTest {
  enum class Kind { kEquals, kPrefix, kSuffix, kWildcard };
  Kind kind = Kind::kEquals;
  bool ignoreCase = false;
  std::string text;                   // lower-cased when ignoreCase
  std::vector<std::string> segments;  // kWildcard: the literal pieces around each '*'

  bool matches(std::string_view s) const {
    switch (kind) {
      case Kind::kEquals:
        return equalsMaybeFolded(s, text, ignoreCase);
      case Kind::kPrefix:
        return s.size() >= text.size() &&
               equalsMaybeFolded(s.substr(0, text.size()), text, ignoreCase);
      case Kind::kSuffix:
        return s.size() >= text.size() &&
               equalsMaybeFolded(s.substr(s.size() - text.size()), text, ignoreCase);
      case Kind::kWildcard:
        return wildcardMatches(s);
    }
    return false;
  }

 private:
  // segments = [head, middle..., tail]: s starts with head, ends with tail, and holds the middle
  // pieces in order in between. Taking each middle piece at its first fit is optimal for '*'.
  bool wildcardMatches(std::string_view s) const {
    const std::string& head = segments.front();
    const std::string& tail = segments.back();
    if (segments.size() == 1) return s == head;
    if (s.size() < head.size() + tail.size()) return false;
    if (s.substr(0, head.size()) != head) return false;
    if (s.substr(s.size() - tail.size()) != tail) return false;
    std::string_view rest = s.substr(head.size(), s.size() - head.size() - tail.size());
    for (std::size_t i = 1; i + 1 < segments.size(); ++i) {
      auto at = rest.find(segments[i]);
      if (at == std::string_view::npos) return false;
      rest.remove_prefix(at + segments[i].size());
    }
    return true;
  }
};

// One entry of a field's condition array.
struct Condition {
  enum class Kind { kString, kNumber, kBool, kNull, kNumeric, kAnythingBut };
  Kind kind = Kind::kNull;
  StringTest string;  // kString
  Number number;      // kNumber
  bool boolean = false;
  // kNumeric: lower and upper bounds (either may be open-ended).
  bool hasLower = false, lowerInclusive = false, hasUpper = false, upperInclusive = false;
  double lower = 0, upper = 0;
  // kAnythingBut: a value is excluded when a string test or number equals it.
  std::vector<StringTest> exceptStrings;
  std::vector<Number> exceptNumbers;

  bool matches(const Scalar& v) const {
    switch (kind) {
      case Kind::kString:
        return v.type == Scalar::Type::kString && string.matches(v.text);
      case Kind::kNumber:
        return v.type == Scalar::Type::kNumber && v.number == number;
      case Kind::kBool:
        return v.type == Scalar::Type::kBool && v.boolean == boolean;
      case Kind::kNull:
        return v.type == Scalar::Type::kNull;
      case Kind::kNumeric: {
        if (v.type != Scalar::Type::kNumber) return false;
        double x = v.number.value;
        if (hasLower && (lowerInclusive ? x < lower : x <= lower)) return false;
        if (hasUpper && (upperInclusive ? x > upper : x >= upper)) return false;
        return true;
      }
      case Kind::kAnythingBut:
        if (v.type == Scalar::Type::kString) {
          return std::none_of(exceptStrings.begin(), exceptStrings.end(),
                              [&](const StringTest& t) { return t.matches(v.text); });
        }
        if (v.type == Scalar::Type::kNumber) {
          return std::none_of(exceptNumbers.begin(), exceptNumbers.end(),
                              [&](const Number& n) { return v.number == n; });
        }
        return true;
    }
    return false;
  }
};

// A field's array of conditions, OR'ed; `exists` conditions are kept apart as two flags.
struct Leaf {
  std::vector<Condition> conditions;
  bool ifPresent = false;  // {"exists": true}
  bool ifAbsent = false;   // {"exists": false}

  bool anyMatches(const Scalar& v) const {
    for (const auto& c : conditions) {
      if (c.matches(v)) return true;
    }
    return false;
  }
};

// The record's top-level keys; kNone for fields inside `data`.
enum class RecordKey {
  kNone,
  kPartitionKey,
  kSequenceNumber,
  kArrivalTimestamp,
  kSchemaVersion,
  kData
};

struct Field;

// A pattern object: every field must match, and each "$or" group needs one matching branch.
struct Node {
  std::vector<Field> fields;
  std::vector<std::vector<Node>> anyOf;
  bool needsData = false;
};

struct Field {
  std::string key;
  RecordKey recordKey = RecordKey::kNone;
  bool nested = false;
  Leaf leaf;  // !nested
  Node node;  // nested
};

struct CompiledFilter {
  std::vector<Node> patterns;  // OR'ed; the ones that need no data first
  bool needsData = false;
};

}  // namespace kbridge::runtime::filter_detail
