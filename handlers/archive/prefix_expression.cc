#include "handlers/archive/prefix_expression.h"

#include <algorithm>
#include <cctype>

namespace kbridge::handlers::archive {
namespace {

// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm), so evaluation needs no
// gmtime_r and no locale.
void civilFromDays(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
}

void appendNumber(std::string& out, std::int64_t value, int width) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  if (value < 0) out += '-';
  for (int i = static_cast<int>(digits.size()); i < width; ++i) out += '0';
  out += digits;
}

}  // namespace

std::optional<std::vector<TimeField>> parseTimePattern(std::string_view pattern,
                                                       std::string& error) {
  std::vector<TimeField> fields;
  auto literal = [&](std::string_view text) {
    if (fields.empty() || fields.back().kind != TimeField::Kind::kLiteral) fields.push_back({});
    fields.back().literal += text;
  };
  std::size_t i = 0;
  while (i < pattern.size()) {
    const char c = pattern[i];
    if (c == '\'') {
      if (i + 1 < pattern.size() && pattern[i + 1] == '\'') {
        literal("'");
        i += 2;
        continue;
      }
      // A quoted literal; '' inside it is one quote.
      std::string text;
      std::size_t j = i + 1;
      for (;;) {
        if (j >= pattern.size()) {
          error =
              "unterminated quoted literal in timestamp pattern \"" + std::string(pattern) + "\"";
          return std::nullopt;
        }
        if (pattern[j] == '\'') {
          if (j + 1 < pattern.size() && pattern[j + 1] == '\'') {
            text += '\'';
            j += 2;
            continue;
          }
          break;
        }
        text += pattern[j++];
      }
      literal(text);
      i = j + 1;
      continue;
    }
    if (!std::isalpha(static_cast<unsigned char>(c))) {
      if (c == '[' || c == ']' || c == '#' || c == '{' || c == '}') {
        error = "reserved character '" + std::string(1, c) + "' in timestamp pattern";
        return std::nullopt;
      }
      literal(std::string_view(&pattern[i], 1));
      ++i;
      continue;
    }
    std::size_t n = 1;
    while (i + n < pattern.size() && pattern[i + n] == c) ++n;
    TimeField f;
    f.width = static_cast<int>(n);
    bool ok = true;
    switch (c) {
      case 'y':
      case 'u':
        if (n == 2) {
          f.kind = TimeField::Kind::kYear2;
        } else if (n == 4) {
          f.kind = TimeField::Kind::kYear;
        } else {
          ok = false;
        }
        break;
      case 'M':
        f.kind = TimeField::Kind::kMonth, ok = n <= 2;
        break;
      case 'd':
        f.kind = TimeField::Kind::kDay, ok = n <= 2;
        break;
      case 'H':
        f.kind = TimeField::Kind::kHour, ok = n <= 2;
        break;
      case 'm':
        f.kind = TimeField::Kind::kMinute, ok = n <= 2;
        break;
      case 's':
        f.kind = TimeField::Kind::kSecond, ok = n <= 2;
        break;
      case 'S':
        f.kind = TimeField::Kind::kMillis, ok = n <= 3;
        break;
      default:
        error = "unsupported timestamp pattern letter '" + std::string(1, c) +
                "' (supported: yyyy, yy, MM, dd, HH, mm, ss, SSS, 'literal')";
        return std::nullopt;
    }
    if (!ok) {
      error = "unsupported timestamp field \"" + std::string(pattern.substr(i, n)) + "\"";
      return std::nullopt;
    }
    fields.push_back(std::move(f));
    i += n;
  }
  if (fields.empty()) {
    error = "empty timestamp pattern";
    return std::nullopt;
  }
  return fields;
}

void appendTime(std::string& out, const std::vector<TimeField>& fields, std::int64_t epochMs) {
  const std::int64_t ms = ((epochMs % 1000) + 1000) % 1000;
  // Floor division without epochMs - ms, which overflows near INT64_MIN.
  const std::int64_t secs = epochMs / 1000 - (epochMs % 1000 < 0 ? 1 : 0);
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) rem += 86400, days -= 1;
  std::int64_t year = 0;
  unsigned month = 0, day = 0;
  civilFromDays(days, year, month, day);
  for (const auto& f : fields) {
    switch (f.kind) {
      case TimeField::Kind::kLiteral:
        out += f.literal;
        break;
      case TimeField::Kind::kYear:
        appendNumber(out, year, 4);
        break;
      case TimeField::Kind::kYear2:
        appendNumber(out, ((year % 100) + 100) % 100, 2);
        break;
      case TimeField::Kind::kMonth:
        appendNumber(out, month, f.width);
        break;
      case TimeField::Kind::kDay:
        appendNumber(out, day, f.width);
        break;
      case TimeField::Kind::kHour:
        appendNumber(out, rem / 3600, f.width);
        break;
      case TimeField::Kind::kMinute:
        appendNumber(out, (rem / 60) % 60, f.width);
        break;
      case TimeField::Kind::kSecond:
        appendNumber(out, rem % 60, f.width);
        break;
      case TimeField::Kind::kMillis: {
        std::string three;
        appendNumber(three, ms, 3);
        out += three.substr(0, static_cast<std::size_t>(f.width));
        break;
      }
    }
  }
}

std::optional<PrefixTemplate> PrefixTemplate::parse(std::string_view text, std::string& error) {
  PrefixTemplate t;
  t.source_ = std::string(text);
  auto literal = [&](std::string_view s) {
    if (s.empty()) return;
    if (t.parts_.empty() || t.parts_.back().kind != PrefixPart::Kind::kLiteral)
      t.parts_.push_back({});
    t.parts_.back().text += s;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const auto open = text.find("!{", i);
    if (open == std::string_view::npos) {
      literal(text.substr(i));
      break;
    }
    literal(text.substr(i, open - i));
    const auto close = text.find('}', open + 2);
    if (close == std::string_view::npos) {
      error = "unterminated expression at character " + std::to_string(open) +
              " (\"!{\" without \"}\")";
      return std::nullopt;
    }
    const std::string_view body = text.substr(open + 2, close - open - 2);
    const auto colon = body.find(':');
    if (colon == std::string_view::npos) {
      error = "expression \"!{" + std::string(body) + "}\" must be \"!{namespace:value}\"";
      return std::nullopt;
    }
    const std::string_view ns = body.substr(0, colon);
    const std::string_view value = body.substr(colon + 1);
    PrefixPart part;
    if (ns == "timestamp") {
      std::string why;
      auto fields = parseTimePattern(value, why);
      if (!fields) {
        error = "!{timestamp:" + std::string(value) + "}: " + why;
        return std::nullopt;
      }
      part.kind = PrefixPart::Kind::kTimestamp;
      part.time = std::move(*fields);
    } else if (ns == "partitionKeyFromQuery") {
      if (value.empty()) {
        error = "!{partitionKeyFromQuery:} needs a key name";
        return std::nullopt;
      }
      part.kind = PrefixPart::Kind::kPartitionKey;
      part.text = std::string(value);
    } else if (ns == "firehose" && value == "random-string") {
      part.kind = PrefixPart::Kind::kRandomString;
    } else if (ns == "firehose" && value == "error-output-type") {
      part.kind = PrefixPart::Kind::kErrorOutputType;
    } else if (ns == "firehose") {
      error = "unknown firehose expression \"!{firehose:" + std::string(value) +
              "}\" (known: random-string, error-output-type)";
      return std::nullopt;
    } else if (ns == "partitionKeyFromLambda") {
      error = "!{partitionKeyFromLambda:...} is not supported (no Lambda transformation)";
      return std::nullopt;
    } else {
      error = "unknown expression namespace \"" + std::string(ns) +
              "\" (known: timestamp, partitionKeyFromQuery, firehose)";
      return std::nullopt;
    }
    t.parts_.push_back(std::move(part));
    t.hasExpressions_ = true;
    i = close + 1;
  }
  return t;
}

bool PrefixTemplate::has(PrefixPart::Kind kind) const {
  return std::any_of(parts_.begin(), parts_.end(), [&](const auto& p) { return p.kind == kind; });
}

std::vector<std::string> PrefixTemplate::partitionKeyNames() const {
  std::vector<std::string> names;
  for (const auto& p : parts_) {
    if (p.kind == PrefixPart::Kind::kPartitionKey &&
        std::find(names.begin(), names.end(), p.text) == names.end())
      names.push_back(p.text);
  }
  return names;
}

void PrefixTemplate::appendEvaluated(std::string& out, const PrefixValues& values) const {
  for (const auto& p : parts_) {
    switch (p.kind) {
      case PrefixPart::Kind::kLiteral:
        out += p.text;
        break;
      case PrefixPart::Kind::kTimestamp:
        appendTime(out, p.time, values.timestampMs);
        break;
      case PrefixPart::Kind::kPartitionKey:
        if (values.partitionKeys) {
          if (auto it = values.partitionKeys->find(p.text); it != values.partitionKeys->end())
            out += it->second;
        }
        break;
      case PrefixPart::Kind::kRandomString:
        out += values.randomString;
        break;
      case PrefixPart::Kind::kErrorOutputType:
        out += values.errorOutputType;
        break;
    }
  }
}

std::int64_t PrefixTemplate::timeResolutionMs() const {
  for (const auto& p : parts_) {
    for (const auto& f : p.time) {
      if (f.kind == TimeField::Kind::kMillis) return 1;
    }
  }
  return 1000;
}

std::string PrefixTemplate::evaluate(const PrefixValues& values) const {
  std::string out;
  appendEvaluated(out, values);
  return out;
}

std::string randomString(std::uint64_t bits) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out(11, 'a');
  for (auto& c : out) {
    c = kAlphabet[bits % 36];
    bits /= 36;
  }
  return out;
}

}  // namespace kbridge::handlers::archive
