#pragma once
// The table handler's validated, immutable settings (handlers/README.md "table") and their parser,
// which reports every problem with its JSON path (STYLE.md rule 6).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kbridge::handlers::table {

struct TableSettings {
  std::string path;                          // the SQLite file (created with its directory)
  std::string idField = "id";                // top-level JSON field holding the item's id
  std::string ttlAttribute = "ttl";          // the stored item's TTL attribute (epoch seconds)
  std::int64_t ttlSeconds = 7 * 24 * 3600;   // after the record's arrival; 0 = never expires
  std::int64_t sweepIntervalMs = 60 * 1000;  // how often expired rows are deleted
};

// Returns nullopt after appending "path.key: what" lines to `errors`.
std::optional<TableSettings> parseTableSettings(const nlohmann::json& settings,
                                                const std::string& path,
                                                std::vector<std::string>& errors);

}  // namespace kbridge::handlers::table
