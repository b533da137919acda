#pragma once
// The archive handler's validated, immutable settings (README "archive" section) and their
// parser, which reports every problem with its JSON path (STYLE.md rule 6).

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "handlers/archive/prefix_expression.h"

namespace kbridge::handlers::archive {

enum class Compression { kNone, kGzip };

struct ArchiveSettings {
  std::string destinationPath;  // the archive's root directory
  PrefixTemplate prefix;        // Firehose rules applied: default timestamp appended
  PrefixTemplate errorPrefix;   // idem; defaults to "!{firehose:error-output-type}/" + timestamp
  std::size_t bufferSizeBytes = 5 * 1024 * 1024;  // measured before compression
  std::int64_t bufferIntervalMs = 300 * 1000;     // 0 = publish at the end of every batch
  Compression compression = Compression::kNone;
  int compressionLevel = 6;
  bool newlineDelimiter = true;
  std::string fileExtension;  // ".gz" for gzip by default, "" otherwise
  // Dynamic partitioning: key name → field path in the record's JSON ("a.b" = {"a":{"b":…}}).
  std::map<std::string, std::vector<std::string>> partitionKeys;
  std::size_t maxOpenObjects = 64;  // per shard; the least recently written is published first
  // Across every shard of the handler: beyond it a shard opening an object publishes its own least
  // recently written one first (a shard keeps at least one, so at most max(this, shards) open).
  std::size_t maxOpenObjectsTotal = 128;
};

// Returns nullopt after appending "path.key: what" lines to `errors`.
std::optional<ArchiveSettings> parseArchiveSettings(const nlohmann::json& settings,
                                                    const std::string& path,
                                                    std::vector<std::string>& errors);

// Where the archive keeps its own state: <destination>/.kbridge/<mapping>/.
std::string archiveStateDir(const std::string& destinationPath, const std::string& mapping);

}  // namespace kbridge::handlers::archive
