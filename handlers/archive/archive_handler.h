#pragma once
// The `archive` handler: Firehose's S3 delivery on a directory (DESIGN.md §7, handlers/README.md).
// Records are routed by their evaluated prefix into per-shard open objects (streaming gzip into a
// temp file), which are published atomically on size, age, LRU pressure or flush, each
// publication written ahead in the shard's manifest. durableOffset() = the first offset of the
// shard's oldest unpublished object; replayed offsets that a published object already covers are
// skipped, so every record lands in exactly one object whatever crashes.
//
// Lifecycle: built from settings → open() (starts the interval thread when asked to) →
// deliver()* / durableOffset() / release() → flush() → close() (joins the thread, drops what
// is still unpublished: it is uncommitted and comes back on the next run).
// Threading: one mutex per shard serializes its deliveries (lanes of one shard included), its
// interval publications and its manifest; a map mutex guards the set of shards. durableOffset()
// reads an atomic, so the poll thread never waits for an fsync.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "handlers/archive/archive_settings.h"
#include "runtime/handler.h"

namespace kbridge::handlers {

std::unique_ptr<runtime::Handler> buildArchiveHandler(const nlohmann::json& settings,
                                                      const std::string& path,
                                                      std::vector<std::string>& errors);

namespace archive {

// With `intervalThread` false, time-based publication happens only when the owner calls
// ArchiveHandler::publishDue() (tests drive it with a ManualClock).
std::unique_ptr<runtime::Handler> makeArchiveHandler(ArchiveSettings settings, bool intervalThread);

// Publishes objects older than the buffering interval; what the interval thread runs.
void publishDue(runtime::Handler& archiveHandler);

// Error-output-type of records whose partition keys cannot be extracted.
inline constexpr const char* kPartitioningFailed = "partitioning-failed";

}  // namespace archive
}  // namespace kbridge::handlers
