#include "kinesis/shape.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
// GCC 12 reports a false -Wmaybe-uninitialized inside <regex> when sanitizers are on.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <functional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace kbridge::kinesis {

namespace {

// Coral stops collecting constraint failures at ten.
constexpr std::size_t kMaxFailures = 10;

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kInt32Min = std::numeric_limits<std::int32_t>::min();

// ---------------------------------------------------------------------------------------------
// Patterns: compiled once per distinct pattern, shared by all threads (matching on a const
// std::regex is thread-safe). libstdc++'s default matcher recurses once per input character,
// so long inputs (a 1 MiB StreamName) would overflow the stack; its breadth-first matcher does
// not, and no model pattern needs back-references.

std::regex::flag_type patternFlags() {
  auto flags = std::regex::ECMAScript | std::regex::optimize;
#ifdef __GLIBCXX__
  flags |= std::regex_constants::__polynomial;
#endif
  return flags;
}

// nullptr when the pattern does not compile (then the pattern is not enforced; model_test
// compiles every model pattern, so this cannot happen with shipped shapes).
const std::regex* compiledPattern(std::string_view pattern) {
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Cache = std::unordered_map<std::string, std::unique_ptr<std::regex>, Hash, std::equal_to<>>;
  static std::shared_mutex mutex;
  static auto* cache = new Cache();  // never destroyed: usable until the very end of the process
  {
    std::shared_lock lock(mutex);
    if (auto it = cache->find(pattern); it != cache->end()) return it->second.get();
  }
  // Compile under the exclusive lock: once per pattern, and libstdc++'s locale caches used by the
  // regex compiler are not meant for concurrent first use.
  std::unique_lock lock(mutex);
  if (auto it = cache->find(pattern); it != cache->end()) return it->second.get();
  std::unique_ptr<std::regex> compiled;
  try {
    compiled = std::make_unique<std::regex>(std::string(pattern), patternFlags());
  } catch (const std::regex_error&) {
    compiled = nullptr;
  }
  return cache->emplace(std::string(pattern), std::move(compiled)).first->second.get();
}

bool matchesPattern(std::string_view pattern, const std::string& value) {
  const std::regex* re = compiledPattern(pattern);
  if (re == nullptr) return true;
  try {
    return std::regex_match(value, *re);
  } catch (const std::regex_error&) {  // complexity limits; treat as not matching
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Numbers.

std::int64_t clampDouble(double d) {
  if (d >= 9223372036854775807.0) return kInt64Max;
  if (d <= -9223372036854775808.0) return kInt64Min;
  return static_cast<std::int64_t>(d);
}

// Floor of a JSON/CBOR number as int64 (saturating); nullopt for NaN.
std::optional<std::int64_t> flooredInteger(const Json& n) {
  if (n.is_number_unsigned()) {
    const auto u = n.get<std::uint64_t>();
    return u > static_cast<std::uint64_t>(kInt64Max) ? kInt64Max : static_cast<std::int64_t>(u);
  }
  if (n.is_number_integer()) return n.get<std::int64_t>();
  const double d = n.get<double>();
  if (std::isnan(d)) return std::nullopt;
  return clampDouble(std::floor(d));
}

std::int64_t saturatingTimes1000(std::int64_t v) {
  if (v > kInt64Max / 1000) return kInt64Max;
  if (v < kInt64Min / 1000) return kInt64Min;
  return v * 1000;
}

// Epoch seconds (possibly fractional) to epoch milliseconds, floored. The decimal digits are
// taken from the shortest representation that round-trips the double, i.e. what the client
// wrote, so 1700000000.123 gives ...123 and not ...122 from binary rounding.
std::optional<std::int64_t> secondsToMillis(double seconds) {
  if (std::isnan(seconds)) return std::nullopt;
  if (seconds >= 9.2e15) return kInt64Max;
  if (seconds <= -9.2e15) return kInt64Min;
  char buf[512];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, seconds, std::chars_format::fixed);
  if (ec != std::errc()) return clampDouble(std::floor(seconds * 1000.0));
  const std::string_view text(buf, static_cast<std::size_t>(end - buf));
  std::size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) ++i;
  std::int64_t whole = 0;
  for (; i < text.size() && text[i] != '.'; ++i) whole = whole * 10 + (text[i] - '0');
  std::int64_t millis = whole * 1000;
  bool remainder = false;
  if (i < text.size()) {
    ++i;  // '.'
    std::int64_t scale = 100;
    for (; i < text.size(); ++i) {
      if (scale > 0) {
        millis += (text[i] - '0') * scale;
        scale /= 10;
      } else if (text[i] != '0') {
        remainder = true;
      }
    }
  }
  if (negative) return -millis - (remainder ? 1 : 0);
  return millis;
}

// ---------------------------------------------------------------------------------------------
// Type check (step 1): the first mismatch, in member order, with Coral's wording.

constexpr std::string_view kListNotExpected = "Start of list found where not expected";
constexpr std::string_view kMapNotExpected = "Start of structure or map found where not expected.";
constexpr std::string_view kBigNumber =
    "class com.amazon.coral.value.json.numbers.TruncatingBigNumber";

std::string_view scalarTypeName(ShapeType type) {
  switch (type) {
    case ShapeType::kString:
      return "String";
    case ShapeType::kInteger:
      return "Integer";
    case ShapeType::kLong:
      return "Long";
    case ShapeType::kBoolean:
      return "Boolean";
    default:
      return "";
  }
}

// Java class Coral reports for a value of the wrong kind.
std::string_view javaClassOf(const Json& v) {
  if (v.is_boolean()) return "class java.lang.Boolean";
  if (v.is_number()) return kBigNumber;
  if (v.is_string()) return "class java.lang.String";
  return "class [B";  // CBOR byte string where no blob is expected
}

std::string upperAscii(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

class TypeChecker {
 public:
  explicit TypeChecker(WireFormat format) : format_(format) {}

  const std::string& error() const { return error_; }

  // Normalizes the members of `in` (an object) declared by `shape` into `out`.
  bool structure(const Json& in, const Shape& shape, Json& out) {
    out = Json::object();
    for (const Field& field : shape.fields) {
      const auto it = in.find(field.name);
      if (it == in.end() || it->is_null()) continue;
      Json value;
      if (!check(*it, *field.shape, value)) return false;
      out[std::string(field.name)] = std::move(value);
    }
    return true;
  }

 private:
  bool fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  // Arrays and objects where a scalar is expected.
  bool containerForScalar(const Json& v) {
    return fail(std::string(v.is_array() ? kListNotExpected : kMapNotExpected));
  }

  bool check(const Json& v, const Shape& shape, Json& out) {
    switch (shape.type) {
      case ShapeType::kBoolean:
        return checkBoolean(v, out);
      case ShapeType::kInteger:
      case ShapeType::kLong:
        return checkInteger(v, shape.type, out);
      case ShapeType::kString:
        return checkString(v, out);
      case ShapeType::kBlob:
        return checkBlob(v, out);
      case ShapeType::kTimestamp:
        return checkTimestamp(v, out);
      case ShapeType::kList:
        return checkList(v, shape, out);
      case ShapeType::kMap:
        return checkMap(v, shape, out);
      case ShapeType::kStructure:
        if (v.is_array()) return fail(std::string(kListNotExpected));
        if (!v.is_object()) return fail("Expected null");
        return structure(v, shape, out);
    }
    return fail("");
  }

  bool checkBoolean(const Json& v, Json& out) {
    if (v.is_boolean()) {
      out = v;
      return true;
    }
    if (v.is_array() || v.is_object()) return containerForScalar(v);
    if (v.is_string()) {
      // Coral reads these spellings as booleans (kinesalite notes it); anything else is refused
      // with the value upper-cased.
      const std::string upper = upperAscii(v.get<std::string>());
      if (upper == "TRUE" || upper == "YES" || upper == "1") return (out = true), true;
      if (upper == "FALSE" || upper == "NO" || upper == "0") return (out = false), true;
      return fail("'" + upper + "' can not be converted to an Boolean");
    }
    return fail(std::string(javaClassOf(v)) + " can not be converted to an Boolean");
  }

  bool checkInteger(const Json& v, ShapeType type, Json& out) {
    const std::string_view name = scalarTypeName(type);
    if (v.is_array() || v.is_object()) return containerForScalar(v);
    if (!v.is_number())
      return fail(std::string(javaClassOf(v)) + " can not be converted to an " + std::string(name));
    const auto n = flooredInteger(v);
    if (!n)
      return fail(std::string(kBigNumber) + " can not be converted to an " + std::string(name));
    std::int64_t value = *n;
    if (type == ShapeType::kInteger) value = std::clamp(value, kInt32Min, kInt32Max);
    out = value;
    return true;
  }

  bool checkString(const Json& v, Json& out) {
    if (v.is_string()) {
      out = v;
      return true;
    }
    if (v.is_array() || v.is_object()) return containerForScalar(v);
    return fail(std::string(javaClassOf(v)) + " can not be converted to an String");
  }

  bool checkBlob(const Json& v, Json& out) {
    if (v.is_binary()) {
      out = Json::binary(v.get_binary());
      return true;
    }
    if (v.is_array() || v.is_object()) return containerForScalar(v);
    if (!v.is_string())
      return fail(std::string(javaClassOf(v)) + " can not be converted to a Blob");
    const auto& text = v.get_ref<const std::string&>();
    std::string why;
    auto bytes = base64Decode(text, &why);
    if (!bytes) return fail("'" + text + "' can not be converted to a Blob: " + why);
    out = Json::binary(std::vector<std::uint8_t>(bytes->begin(), bytes->end()));
    return true;
  }

  bool checkTimestamp(const Json& v, Json& out) {
    constexpr std::string_view kSuffix = " can not be converted to milliseconds since epoch";
    if (v.is_array() || v.is_object()) return containerForScalar(v);
    if (!v.is_number()) return fail(std::string(javaClassOf(v)) + std::string(kSuffix));
    std::optional<std::int64_t> millis;
    if (v.is_number_float()) {
      millis = secondsToMillis(v.get<double>());  // seconds in both formats
    } else if (format_ == WireFormat::kCbor) {
      millis = flooredInteger(v);  // the Java SDK sends tag 1 + epoch milliseconds
    } else if (auto seconds = flooredInteger(v)) {
      millis = saturatingTimes1000(*seconds);
    }
    if (!millis) return fail(std::string(kBigNumber) + std::string(kSuffix));
    out = *millis;
    return true;
  }

  bool checkList(const Json& v, const Shape& shape, Json& out) {
    if (v.is_object()) return fail(std::string(kMapNotExpected));
    if (!v.is_array()) return fail("Expected list or null");
    out = Json::array();
    for (const Json& item : v) {
      Json value;  // null items stay null; the constraint step refuses them
      if (!item.is_null() && !check(item, *shape.member, value)) return false;
      out.push_back(std::move(value));
    }
    return true;
  }

  bool checkMap(const Json& v, const Shape& shape, Json& out) {
    if (v.is_array()) return fail(std::string(kListNotExpected));
    if (!v.is_object()) return fail("Expected map or null");
    out = Json::object();
    for (const auto& [key, item] : v.items()) {
      Json value;
      if (!item.is_null() && !check(item, *shape.member, value)) return false;
      out[key] = std::move(value);
    }
    return true;
  }

  WireFormat format_;
  std::string error_;
};

// ---------------------------------------------------------------------------------------------
// Constraint check (step 2), on the normalized tree.

std::string lowerFirst(std::string_view name) {
  std::string s(name);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

std::string joinPath(const std::string& parent, std::string_view child) {
  return parent.empty() ? std::string(child) : parent + "." + std::string(child);
}

bool isScalar(ShapeType t) {
  return t != ShapeType::kList && t != ShapeType::kMap && t != ShapeType::kStructure;
}

std::int64_t lengthOf(const Json& v) {
  if (v.is_string()) return static_cast<std::int64_t>(utf16Length(v.get_ref<const std::string&>()));
  if (v.is_binary()) return static_cast<std::int64_t>(v.get_binary().size());
  return static_cast<std::int64_t>(v.size());
}

std::string joinComma(const std::vector<std::string_view>& items) {
  std::string s;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) s += ", ";
    s += items[i];
  }
  return s;
}

std::string renderValue(const Json& v, const Shape& shape);

std::string renderStructure(const Shape& shape) {
  return "com.amazonaws.kinesis.v20131202." +
         std::string(shape.name.empty() ? std::string_view("Structure") : shape.name) + "@c965e310";
}

// kinesalite's valueStr(): how Coral prints a value in a failure message.
std::string renderValue(const Json& v, const Shape& shape) {
  if (v.is_null()) return "null";
  switch (shape.type) {
    case ShapeType::kBlob: {
      const std::string n = std::to_string(lengthOf(v));
      return "java.nio.HeapByteBuffer[pos=0 lim=" + n + " cap=" + n + "]";
    }
    case ShapeType::kList: {
      std::string s = "[";
      bool first = true;
      for (const Json& item : v) {
        if (!first) s += ", ";
        first = false;
        s += renderValue(item, *shape.member);
      }
      return s + "]";
    }
    case ShapeType::kMap: {
      std::string s = "{";
      bool first = true;
      for (const auto& [key, item] : v.items()) {
        if (!first) s += ", ";
        first = false;
        s += key + "=" + renderValue(item, *shape.member);
      }
      return s + "}";
    }
    case ShapeType::kStructure:
      return renderStructure(shape);
    default:
      if (v.is_string()) return v.get<std::string>();
      return v.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
}

// The constraint texts of a scalar shape, in the order Coral lists them inside "[...]".
std::vector<std::string> memberConstraintTexts(const Shape& s) {
  std::vector<std::string> texts;
  const bool value = s.type == ShapeType::kInteger || s.type == ShapeType::kLong;
  const std::string what = value ? "value" : "length";
  if (s.max)
    texts.push_back("Member must have " + what + " less than or equal to " +
                    std::to_string(*s.max));
  if (s.min)
    texts.push_back("Member must have " + what + " greater than or equal to " +
                    std::to_string(*s.min));
  if (!s.pattern.empty())
    texts.push_back("Member must satisfy regular expression pattern: " + std::string(s.pattern));
  if (!s.enumValues.empty())
    texts.push_back("Member must satisfy enum value set: [" + joinComma(s.enumValues) + "]");
  return texts;
}

std::string bracketed(std::string_view lead, const std::vector<std::string>& texts) {
  std::string s = std::string(lead) + " must satisfy constraint: [";
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (i) s += ", ";
    s += texts[i];
  }
  return s + "]";
}

// True when the shape has no enum or `text` is one of its values.
bool inEnum(const Shape& s, std::string_view text) {
  if (s.enumValues.empty()) return true;
  for (std::string_view e : s.enumValues)
    if (e == text) return true;
  return false;
}

// Whether a scalar value satisfies all of its shape's constraints.
bool satisfiesScalar(const Json& v, const Shape& s) {
  if (v.is_null()) return true;  // reported separately as a null member
  if (s.type == ShapeType::kInteger || s.type == ShapeType::kLong) {
    const auto n = v.get<std::int64_t>();
    return !(s.min && n < *s.min) && !(s.max && n > *s.max);
  }
  if (s.type != ShapeType::kString && s.type != ShapeType::kBlob) return true;
  const std::int64_t len = lengthOf(v);
  if ((s.min && len < *s.min) || (s.max && len > *s.max)) return false;
  if (!v.is_string()) return true;
  const auto& text = v.get_ref<const std::string&>();
  if (!s.pattern.empty() && !matchesPattern(s.pattern, text)) return false;
  return inEnum(s, text);
}

class ConstraintChecker {
 public:
  std::vector<std::string> failures;

  void fields(const Json& object, const Shape& shape, const std::string& prefix) {
    for (const Field& field : shape.fields) {
      const auto it = object.find(field.name);
      const Json* value = it == object.end() ? nullptr : &*it;
      member(value, *field.shape, field.required, joinPath(prefix, lowerFirst(field.name)));
    }
  }

 private:
  void fail(const Json* v, const Shape& shape, const std::string& path,
            const std::string& constraint) {
    if (failures.size() >= kMaxFailures) return;
    failures.push_back(
        constraintFailure(v ? renderValue(*v, shape) : std::string("null"), path, constraint));
  }

  // kinesalite's order per member: notNull, value range, pattern, length, enum, then the
  // constraints on list members / map keys and values, then nested members.
  void member(const Json* v, const Shape& s, bool required, const std::string& path) {
    if (v == nullptr || v->is_null()) {
      if (required) fail(nullptr, s, path, "Member must not be null");
      return;
    }
    switch (s.type) {
      case ShapeType::kInteger:
      case ShapeType::kLong: {
        const auto n = v->get<std::int64_t>();
        if (s.min && n < *s.min)
          fail(v, s, path,
               "Member must have value greater than or equal to " + std::to_string(*s.min));
        if (s.max && n > *s.max)
          fail(v, s, path,
               "Member must have value less than or equal to " + std::to_string(*s.max));
        return;
      }
      case ShapeType::kString:
        if (!s.pattern.empty() && !matchesPattern(s.pattern, v->get_ref<const std::string&>()))
          fail(v, s, path,
               "Member must satisfy regular expression pattern: " + std::string(s.pattern));
        lengths(v, s, path);
        if (!inEnum(s, v->get_ref<const std::string&>()))
          fail(v, s, path, "Member must satisfy enum value set: [" + joinComma(s.enumValues) + "]");
        return;
      case ShapeType::kBlob:
        lengths(v, s, path);
        return;
      case ShapeType::kList:
        list(*v, s, path);
        return;
      case ShapeType::kMap:
        map(*v, s, path);
        return;
      case ShapeType::kStructure:
        fields(*v, s, path);
        return;
      case ShapeType::kBoolean:
      case ShapeType::kTimestamp:
        return;
    }
  }

  void lengths(const Json* v, const Shape& s, const std::string& path) {
    const std::int64_t len = lengthOf(*v);
    if (s.min && len < *s.min)
      fail(v, s, path,
           "Member must have length greater than or equal to " + std::to_string(*s.min));
    if (s.max && len > *s.max)
      fail(v, s, path, "Member must have length less than or equal to " + std::to_string(*s.max));
  }

  void list(const Json& v, const Shape& s, const std::string& path) {
    lengths(&v, s, path);
    const Shape& item = *s.member;
    if (isScalar(item.type)) {
      const auto texts = memberConstraintTexts(item);
      bool ok = true;
      for (const Json& x : v) ok = ok && satisfiesScalar(x, item);
      if (!texts.empty() && !ok) fail(&v, s, path, bracketed("Member", texts));
    }
    for (std::size_t i = 0; i < v.size(); ++i) {
      const std::string itemPath = path + "." + std::to_string(i + 1) + ".member";
      if (v[i].is_null() || !isScalar(item.type)) member(&v[i], item, /*required=*/true, itemPath);
    }
  }

  void map(const Json& v, const Shape& s, const std::string& path) {
    lengths(&v, s, path);
    if (s.key != nullptr) {
      const auto texts = memberConstraintTexts(*s.key);
      bool ok = true;
      for (const auto& [key, value] : v.items()) ok = ok && satisfiesScalar(Json(key), *s.key);
      if (!texts.empty() && !ok) fail(&v, s, path, bracketed("Map keys", texts));
    }
    const Shape& value = *s.member;
    if (isScalar(value.type)) {
      const auto texts = memberConstraintTexts(value);
      bool ok = true;
      for (const auto& [key, x] : v.items()) ok = ok && satisfiesScalar(x, value);
      if (!texts.empty() && !ok) fail(&v, s, path, bracketed("Map value", texts));
    }
    for (const auto& [key, x] : v.items()) {
      if (x.is_null() || !isScalar(value.type))
        member(&x, value, /*required=*/true, path + "." + key + ".member");
    }
  }
};

}  // namespace

std::string validationMessage(const std::vector<std::string>& failures) {
  if (failures.empty()) return {};
  std::string s =
      std::to_string(failures.size()) +
      (failures.size() == 1 ? " validation error detected: " : " validation errors detected: ");
  for (std::size_t i = 0; i < failures.size(); ++i) {
    if (i) s += "; ";
    s += failures[i];
  }
  return s;
}

std::string constraintFailure(std::string_view renderedValue, std::string_view path,
                              std::string_view constraint) {
  std::string s = "Value ";
  if (renderedValue == "null") {
    s += "null";
  } else {
    s += "'";
    s += renderedValue;
    s += "'";
  }
  s += " at '";
  s += path;
  s += "' failed to satisfy constraint: ";
  s += constraint;
  return s;
}

ApiResult<Json> validateInput(const Json& input, const Shape& shape, WireFormat format) {
  if (input.is_array()) return apiError(ErrorType::kSerialization, std::string(kListNotExpected));
  if (!input.is_object() && !input.is_null())
    return apiError(ErrorType::kSerialization, "Expected null");
  TypeChecker types(format);
  Json normalized = Json::object();
  if (input.is_object() && !types.structure(input, shape, normalized))
    return apiError(ErrorType::kSerialization, types.error());
  ConstraintChecker constraints;
  constraints.fields(normalized, shape, "");
  if (!constraints.failures.empty())
    return apiError(ErrorType::kValidation, validationMessage(constraints.failures));
  return normalized;
}

}  // namespace kbridge::kinesis
