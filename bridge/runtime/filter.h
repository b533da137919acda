#pragma once
// RecordFilter: a mapping's `filter` (DESIGN.md §6) — Lambda event filtering for Kinesis event
// sources, in EventBridge pattern syntax. The patterns are validated and compiled once, when the
// config is loaded; the runtime then asks matches() of every record it reads and drops the ones
// that do not pass (their offsets still move the checkpoint, as Lambda's iterator moves past them).
//
// What a pattern sees is the record's `kinesis` object as Lambda builds it: `partitionKey`,
// `sequenceNumber` (strings), `approximateArrivalTimestamp` (epoch seconds, a number),
// `kinesisSchemaVersion` ("1.0") and `data`. Patterns under `data` match the record's bytes parsed
// as JSON; a record whose data is not JSON never matches a pattern that looks into `data`.
// The patterns of the list are OR'ed. The finer rules (arrays, exists, anything-but, numbers) are
// written at the top of filter.cc.
//
// Threading and ownership: immutable once compiled. matches() is const and may run on any number
// of threads at once; copies share the compiled patterns.

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runtime/handler.h"

namespace kbridge::runtime {

namespace filter_detail {
struct CompiledFilter;
}

class RecordFilter {
 public:
  // `patterns` is an array of pattern objects (MappingConfig::filter) found at `path` in the
  // config ("$.mappings[0].filter"). Returns nullopt and appends every problem, as
  // "path[i].key: what" lines, when any pattern is invalid.
  static std::optional<RecordFilter> compile(const nlohmann::json& patterns,
                                             const std::string& path,
                                             std::vector<std::string>& errors);

  // True when at least one pattern matches. Parses the record's data (once) only when a pattern
  // that could still decide the outcome looks into `data`. Never throws.
  bool matches(const Record& record) const noexcept;

  // True when some pattern looks into `data` (matching may then parse the record's bytes).
  bool needsData() const;

  std::size_t patternCount() const;

 private:
  explicit RecordFilter(std::shared_ptr<const filter_detail::CompiledFilter> compiled)
      : compiled_(std::move(compiled)) {}

  std::shared_ptr<const filter_detail::CompiledFilter> compiled_;
};

}  // namespace kbridge::runtime
