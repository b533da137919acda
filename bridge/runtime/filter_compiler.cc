// RecordFilter::compile: validates a mapping's filter patterns and builds their tree
// (filter_tree.h), reporting every problem with its JSON path, all at once. The syntax accepted
// follows aws event-ruler's rule compiler for the conditions supported here (all but cidr); the
// matching rules are described at the top of filter.cc.

#include <algorithm>
#include <utility>

#include "runtime/filter.h"
#include "runtime/filter_tree.h"

namespace kbridge::runtime {
namespace filter_detail {
namespace {

constexpr const char* kRecordKeys =
    "partitionKey, sequenceNumber, approximateArrivalTimestamp, kinesisSchemaVersion and data";

RecordKey recordKeyOf(const std::string& key) {
  if (key == "partitionKey") return RecordKey::kPartitionKey;
  if (key == "sequenceNumber") return RecordKey::kSequenceNumber;
  if (key == "approximateArrivalTimestamp") return RecordKey::kArrivalTimestamp;
  if (key == "kinesisSchemaVersion") return RecordKey::kSchemaVersion;
  if (key == "data") return RecordKey::kData;
  return RecordKey::kNone;
}

class Compiler {
 public:
  explicit Compiler(std::vector<std::string>& errors) : errors_(errors) {}

  // A pattern object at `path`; `top` = its keys are the record's, not the data's.
  Node node(const Json& pattern, const std::string& path, bool top) {
    Node out;
    if (!pattern.is_object()) {
      error(path, "must be a pattern object");
      return out;
    }
    if (pattern.empty()) {
      error(path, "must not be an empty object");
      return out;
    }
    for (const auto& [key, value] : pattern.items()) {
      std::string at = path + "." + key;
      if (key == "$or") {
        out.anyOf.push_back(orGroup(value, at, top));
        for (const auto& branch : out.anyOf.back()) out.needsData |= branch.needsData;
        continue;
      }
      Field f;
      f.key = key;
      if (top) {
        f.recordKey = recordKeyOf(key);
        if (f.recordKey == RecordKey::kNone) {
          error(at, std::string("unknown key; a Kinesis record has ") + kRecordKeys);
          continue;
        }
        if (f.recordKey == RecordKey::kData) {
          if (!value.is_object()) {
            error(at, "must be a pattern object (Lambda filters Kinesis data only as JSON)");
            continue;
          }
          f.nested = true;
          f.node = node(value, at, false);
          out.needsData = true;
        } else if (!value.is_array()) {
          error(at, "must be an array of match conditions");
          continue;
        } else {
          f.leaf = leaf(value, at);
        }
      } else if (value.is_object()) {
        f.nested = true;
        f.node = node(value, at, false);
      } else if (value.is_array()) {
        f.leaf = leaf(value, at);
      } else {
        error(at, "must be an array of match conditions or a nested pattern object");
        continue;
      }
      out.fields.push_back(std::move(f));
    }
    // Cheap fields first: the record's own keys, then leaves, then nested objects and data.
    std::stable_sort(out.fields.begin(), out.fields.end(), [](const Field& a, const Field& b) {
      auto rank = [](const Field& f) { return f.recordKey == RecordKey::kData ? 2 : f.nested; };
      return rank(a) < rank(b);
    });
    return out;
  }

 private:
  std::vector<Node> orGroup(const Json& value, const std::string& path, bool top) {
    std::vector<Node> branches;
    if (!value.is_array() || value.size() < 2) {
      error(path, "must be an array of at least two pattern objects");
      return branches;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      branches.push_back(node(value[i], path + "[" + std::to_string(i) + "]", top));
    }
    std::stable_sort(branches.begin(), branches.end(),
                     [](const Node& a, const Node& b) { return !a.needsData && b.needsData; });
    return branches;
  }

  Leaf leaf(const Json& conditions, const std::string& path) {
    Leaf out;
    if (conditions.empty()) {
      error(path, "must not be an empty array");
      return out;
    }
    for (const auto& c : conditions) {
      if (c.is_string()) {
        out.conditions.push_back(stringCondition(StringTest::Kind::kEquals, c, false));
      } else if (c.is_number()) {
        Condition n;
        n.kind = Condition::Kind::kNumber;
        n.number = Number::of(c);
        out.conditions.push_back(std::move(n));
      } else if (c.is_boolean()) {
        Condition b;
        b.kind = Condition::Kind::kBool;
        b.boolean = c.get<bool>();
        out.conditions.push_back(std::move(b));
      } else if (c.is_null()) {
        out.conditions.push_back(Condition{});
      } else if (c.is_object()) {
        matchExpression(c, path, out);
      } else {
        error(path,
              "a match condition must be a string, number, boolean, null or an object such as "
              "{\"prefix\": \"...\"}");
      }
    }
    return out;
  }

  // {"prefix": ...}, {"numeric": [...]}, ...: exactly one key.
  void matchExpression(const Json& c, const std::string& path, Leaf& out) {
    if (c.size() != 1) {
      error(path, "a match condition object must have exactly one key");
      return;
    }
    const std::string& op = c.begin().key();
    const Json& arg = c.begin().value();
    if (op == "exists") {
      if (!arg.is_boolean()) return error(path, "exists must be true or false");
      (arg.get<bool>() ? out.ifPresent : out.ifAbsent) = true;
    } else if (op == "prefix" || op == "suffix") {
      auto kind = op == "prefix" ? StringTest::Kind::kPrefix : StringTest::Kind::kSuffix;
      if (arg.is_string()) {
        out.conditions.push_back(stringCondition(kind, arg, false));
      } else if (arg.is_object() && arg.size() == 1 && arg.contains("equals-ignore-case") &&
                 arg["equals-ignore-case"].is_string()) {
        out.conditions.push_back(stringCondition(kind, arg["equals-ignore-case"], true));
      } else {
        error(path, op + " must be a string or {\"equals-ignore-case\": \"...\"}");
      }
    } else if (op == "equals-ignore-case" || op == "exactly") {
      if (!arg.is_string()) return error(path, op + " must be a string");
      out.conditions.push_back(
          stringCondition(StringTest::Kind::kEquals, arg, op == "equals-ignore-case"));
    } else if (op == "wildcard") {
      if (!arg.is_string()) return error(path, "wildcard must be a string");
      StringTest t;
      if (!wildcard(arg.get<std::string>(), path, t)) return;
      Condition w;
      w.kind = Condition::Kind::kString;
      w.string = std::move(t);
      out.conditions.push_back(std::move(w));
    } else if (op == "numeric") {
      Condition n;
      if (numeric(arg, path, n)) out.conditions.push_back(std::move(n));
    } else if (op == "anything-but") {
      Condition a;
      if (anythingBut(arg, path, a)) out.conditions.push_back(std::move(a));
    } else {
      error(path, "unknown match condition \"" + op +
                      "\" (supported: prefix, suffix, equals-ignore-case, wildcard, anything-but, "
                      "numeric, exists, exactly)");
    }
  }

  static Condition stringCondition(StringTest::Kind kind, const Json& text, bool ignoreCase) {
    Condition c;
    c.kind = Condition::Kind::kString;
    c.string = stringTest(kind, text.get<std::string>(), ignoreCase);
    return c;
  }

  static StringTest stringTest(StringTest::Kind kind, std::string text, bool ignoreCase) {
    StringTest t;
    t.kind = kind;
    t.ignoreCase = ignoreCase;
    t.text = ignoreCase ? asciiLower(std::move(text)) : std::move(text);
    return t;
  }

  // "a*b\*c": '*' matches any run of characters; "\*" is a literal '*' and "\\" a backslash.
  bool wildcard(const std::string& text, const std::string& path, StringTest& out) {
    out.kind = StringTest::Kind::kWildcard;
    out.text = text;
    out.segments.assign(1, "");
    for (std::size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (c == '\\') {
        if (i + 1 == text.size() || (text[i + 1] != '*' && text[i + 1] != '\\')) {
          error(path, "wildcard: a backslash may only escape '*' or '\\'");
          return false;
        }
        out.segments.back() += text[++i];
      } else if (c == '*') {
        if (i > 0 && text[i - 1] == '*') {
          error(path, "wildcard: consecutive '*' are not allowed");
          return false;
        }
        out.segments.emplace_back();
      } else {
        out.segments.back() += c;
      }
    }
    return true;
  }

  // ["=", n] | [">"|">=", n] | ["<"|"<=", n] | [">"|">=", lo, "<"|"<=", hi] with lo < hi.
  bool numeric(const Json& arg, const std::string& path, Condition& out) {
    out.kind = Condition::Kind::kNumeric;
    auto malformed = [&] {
      error(path, "numeric needs an operator followed by a number");
      return false;
    };
    if (!arg.is_array() || (arg.size() != 2 && arg.size() != 4)) return malformed();
    for (std::size_t i = 0; i < arg.size(); i += 2) {
      if (!arg[i].is_string() || !arg[i + 1].is_number()) return malformed();
    }
    for (std::size_t i = 0; i < arg.size(); i += 2) {
      const std::string& op = arg[i].get_ref<const std::string&>();
      double value = arg[i + 1].get<double>();
      bool lowerOp = op == ">" || op == ">=";
      bool upperOp = op == "<" || op == "<=";
      if (op == "=") {
        if (arg.size() != 2) {
          error(path, "numeric: \"=\" takes a single number");
          return false;
        }
        out.hasLower = out.hasUpper = out.lowerInclusive = out.upperInclusive = true;
        out.lower = out.upper = value;
      } else if (!lowerOp && !upperOp) {
        error(path, "numeric: unknown operator \"" + op + "\" (use =, <, <=, >, >=)");
        return false;
      } else if (i == 2 && !upperOp) {
        error(path,
              "numeric: a range is a lower bound (> or >=) followed by an upper bound "
              "(< or <=)");
        return false;
      } else if (i == 0 && arg.size() == 4 && !lowerOp) {
        error(path,
              "numeric: a range is a lower bound (> or >=) followed by an upper bound "
              "(< or <=)");
        return false;
      } else if (lowerOp) {
        out.hasLower = true;
        out.lowerInclusive = op == ">=";
        out.lower = value;
      } else {
        out.hasUpper = true;
        out.upperInclusive = op == "<=";
        out.upper = value;
      }
    }
    if (arg.size() == 4 && !(out.lower < out.upper)) {
      error(path, "numeric: the lower bound must be below the upper bound");
      return false;
    }
    return true;
  }

  // "x" | 5 | ["x", "y"] | [1, 2] | {"prefix"|"suffix"|"equals-ignore-case"|"wildcard": "x" | [..]}
  bool anythingBut(const Json& arg, const std::string& path, Condition& out) {
    out.kind = Condition::Kind::kAnythingBut;
    const char* what =
        "anything-but must be a string, a number, a non-empty list of only strings or only "
        "numbers, or an object with one of prefix, suffix, equals-ignore-case, wildcard";
    if (arg.is_string()) {
      out.exceptStrings.push_back(
          stringTest(StringTest::Kind::kEquals, arg.get<std::string>(), false));
    } else if (arg.is_number()) {
      out.exceptNumbers.push_back(Number::of(arg));
    } else if (arg.is_array()) {
      bool strings = !arg.empty() && std::all_of(arg.begin(), arg.end(),
                                                 [](const Json& v) { return v.is_string(); });
      bool numbers = !arg.empty() && std::all_of(arg.begin(), arg.end(),
                                                 [](const Json& v) { return v.is_number(); });
      if (!strings && !numbers) {
        error(path, what);
        return false;
      }
      for (const auto& v : arg) {
        if (strings) {
          out.exceptStrings.push_back(
              stringTest(StringTest::Kind::kEquals, v.get<std::string>(), false));
        } else {
          out.exceptNumbers.push_back(Number::of(v));
        }
      }
    } else if (arg.is_object() && arg.size() == 1) {
      const std::string& op = arg.begin().key();
      const Json& values = arg.begin().value();
      if (op != "prefix" && op != "suffix" && op != "equals-ignore-case" && op != "wildcard") {
        error(path, what);
        return false;
      }
      std::vector<std::string> texts;
      if (values.is_string()) {
        texts.push_back(values.get<std::string>());
      } else if (values.is_array() && !values.empty() &&
                 std::all_of(values.begin(), values.end(),
                             [](const Json& v) { return v.is_string(); })) {
        for (const auto& v : values) texts.push_back(v.get<std::string>());
      } else {
        error(path, "anything-but " + op + " must be a string or a non-empty list of strings");
        return false;
      }
      for (auto& text : texts) {
        if (op == "prefix") {
          out.exceptStrings.push_back(stringTest(StringTest::Kind::kPrefix, text, false));
        } else if (op == "suffix") {
          out.exceptStrings.push_back(stringTest(StringTest::Kind::kSuffix, text, false));
        } else if (op == "equals-ignore-case") {
          out.exceptStrings.push_back(stringTest(StringTest::Kind::kEquals, text, true));
        } else {
          StringTest t;
          if (!wildcard(text, path, t)) return false;
          out.exceptStrings.push_back(std::move(t));
        }
      }
    } else {
      error(path, what);
      return false;
    }
    return true;
  }

  void error(const std::string& path, const std::string& what) {
    errors_.push_back(path + ": " + what);
  }

  std::vector<std::string>& errors_;
};

}  // namespace
}  // namespace filter_detail

std::optional<RecordFilter> RecordFilter::compile(const nlohmann::json& patterns,
                                                  const std::string& path,
                                                  std::vector<std::string>& errors) {
  using filter_detail::CompiledFilter;
  using filter_detail::Node;
  const std::size_t before = errors.size();
  if (!patterns.is_array() || patterns.empty()) {
    errors.push_back(path + ": must be a non-empty array of pattern objects");
    return std::nullopt;
  }
  auto compiled = std::make_shared<CompiledFilter>();
  filter_detail::Compiler compiler(errors);
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    compiled->patterns.push_back(
        compiler.node(patterns[i], path + "[" + std::to_string(i) + "]", /*top=*/true));
    compiled->needsData |= compiled->patterns.back().needsData;
  }
  if (errors.size() != before) return std::nullopt;
  // OR'ed patterns can be tried in any order: those that need no parsing first.
  std::stable_sort(compiled->patterns.begin(), compiled->patterns.end(),
                   [](const Node& a, const Node& b) { return !a.needsData && b.needsData; });
  return RecordFilter(std::move(compiled));
}

}  // namespace kbridge::runtime
