#pragma once
// RecordTemplate: a JSON value whose strings may hold placeholders, rendered afresh for every
// record a source puts (a generator's record, any source's partition key).
//
// Placeholders (the whole syntax):
//   ${time}      the run's time, ISO-8601 UTC with milliseconds: 2026-11-22T08:30:00.123Z
//   ${epoch_ms}  the run's time in epoch milliseconds
//   ${epoch_s}   the run's time in epoch seconds
//   ${count}     1 for the first record this source puts in this process, then 2, 3, ...
//   ${random}    8 random characters [0-9a-z]
//   ${source}    the source's name
//   $${          a literal "${"
// A string that is exactly one of ${epoch_ms}, ${epoch_s} or ${count} becomes a JSON number, so
// {"time": "${epoch_ms}"} renders as {"time": 1795336200123}; anywhere else a placeholder is
// replaced by its text. Object keys are not expanded. Unknown names are config errors.
//
// Immutable after compile(); render() is const and thread-safe.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kbridge::sources {

// The values a template is rendered with.
struct TemplateContext {
  std::int64_t nowMs = 0;
  std::uint64_t count = 0;
  std::string random;
  std::string source;
};

class RecordTemplate {
 public:
  // Checks every string of `doc`; appends "path: what" to `errors` for each bad placeholder and
  // returns nullopt if there was any.
  static std::optional<RecordTemplate> compile(const nlohmann::json& doc, const std::string& path,
                                               std::vector<std::string>& errors);

  nlohmann::json render(const TemplateContext& context) const;
  // The record's data bytes: a string template's text as is, any other value as compact JSON.
  std::string renderData(const TemplateContext& context) const;

 private:
  explicit RecordTemplate(nlohmann::json doc) : doc_(std::move(doc)) {}
  nlohmann::json doc_;
};

// 2026-11-22T08:30:00.123Z for epoch milliseconds.
std::string isoTime(std::int64_t epochMs);

}  // namespace kbridge::sources
