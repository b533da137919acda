#include "sources/record_template.h"

#include <cstdio>
#include <ctime>
#include <string_view>

namespace kbridge::sources {
namespace {

using Json = nlohmann::json;

enum class Placeholder { kTime, kEpochMs, kEpochS, kCount, kRandom, kSource };

std::optional<Placeholder> placeholderNamed(std::string_view name) {
  if (name == "time") return Placeholder::kTime;
  if (name == "epoch_ms") return Placeholder::kEpochMs;
  if (name == "epoch_s") return Placeholder::kEpochS;
  if (name == "count") return Placeholder::kCount;
  if (name == "random") return Placeholder::kRandom;
  if (name == "source") return Placeholder::kSource;
  return std::nullopt;
}

std::string textOf(Placeholder p, const TemplateContext& c) {
  switch (p) {
    case Placeholder::kTime:
      return isoTime(c.nowMs);
    case Placeholder::kEpochMs:
      return std::to_string(c.nowMs);
    case Placeholder::kEpochS:
      return std::to_string(c.nowMs / 1000);
    case Placeholder::kCount:
      return std::to_string(c.count);
    case Placeholder::kRandom:
      return c.random;
    case Placeholder::kSource:
      return c.source;
  }
  return "";
}

// Expands the placeholders of `text` with `context`, or only checks them when `context` is null.
// Returns the first problem ("" when none).
std::string expand(std::string_view text, const TemplateContext* context, std::string& out) {
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += text[i++];
      continue;
    }
    const auto close = text.find('}', i + 2);
    if (close == std::string_view::npos) return "has a \"${\" without its \"}\"";
    const auto name = text.substr(i + 2, close - i - 2);
    const auto placeholder = placeholderNamed(name);
    if (!placeholder) {
      return "unknown placeholder \"${" + std::string(name) +
             "}\" (known: time, epoch_ms, epoch_s, count, random, source; \"$${\" for a literal)";
    }
    if (context) out += textOf(*placeholder, *context);
    i = close + 1;
  }
  return "";
}

std::optional<Placeholder> numericAlone(const std::string& text) {
  if (text.size() < 4 || text.compare(0, 2, "${") != 0 || text.back() != '}') return std::nullopt;
  auto p = placeholderNamed(std::string_view(text).substr(2, text.size() - 3));
  if (p == Placeholder::kEpochMs || p == Placeholder::kEpochS || p == Placeholder::kCount) return p;
  return std::nullopt;
}

void check(const Json& node, const std::string& path, std::vector<std::string>& errors) {
  if (node.is_string()) {
    std::string ignored;
    if (auto why = expand(node.get_ref<const std::string&>(), nullptr, ignored); !why.empty()) {
      errors.push_back(path + ": " + why);
    }
  } else if (node.is_object()) {
    for (const auto& [key, value] : node.items()) check(value, path + "." + key, errors);
  } else if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      check(node[i], path + "[" + std::to_string(i) + "]", errors);
    }
  }
}

Json renderNode(const Json& node, const TemplateContext& context) {
  if (node.is_string()) {
    const auto& text = node.get_ref<const std::string&>();
    switch (numericAlone(text).value_or(Placeholder::kTime)) {
      case Placeholder::kEpochMs:
        return context.nowMs;
      case Placeholder::kEpochS:
        return context.nowMs / 1000;
      case Placeholder::kCount:
        return context.count;
      default:
        break;
    }
    std::string out;
    (void)expand(text, &context, out);  // checked by compile()
    return out;
  }
  if (node.is_object()) {
    Json out = Json::object();
    for (const auto& [key, value] : node.items()) out[key] = renderNode(value, context);
    return out;
  }
  if (node.is_array()) {
    Json out = Json::array();
    for (const auto& value : node) out.push_back(renderNode(value, context));
    return out;
  }
  return node;
}

}  // namespace

std::optional<RecordTemplate> RecordTemplate::compile(const Json& doc, const std::string& path,
                                                      std::vector<std::string>& errors) {
  const auto before = errors.size();
  check(doc, path, errors);
  if (errors.size() != before) return std::nullopt;
  return RecordTemplate(doc);
}

Json RecordTemplate::render(const TemplateContext& context) const {
  return renderNode(doc_, context);
}

std::string RecordTemplate::renderData(const TemplateContext& context) const {
  if (doc_.is_string()) {
    std::string out;
    (void)expand(doc_.get_ref<const std::string&>(), &context, out);
    return out;
  }
  return render(context).dump();
}

std::string isoTime(std::int64_t epochMs) {
  std::int64_t seconds = epochMs / 1000;
  std::int64_t millis = epochMs % 1000;
  if (millis < 0) {
    millis += 1000;
    --seconds;
  }
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return buffer;
}

}  // namespace kbridge::sources
