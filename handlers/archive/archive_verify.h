#pragma once
// `kbridge archive verify --mapping M --config FILE`: audits an archive from its manifests and
// objects, and compares it with the stream's topic. Per shard it reports the offset ranges covered
// by published objects, gaps (offsets missing inside them, or below the mapping's checkpoint),
// overlaps (records published twice), error-prefix records, objects whose record count disagrees
// with their manifest entry, files under the destination that no manifest names, and — with the
// topic's view — the topic's offsets, the checkpoint, and the records past the archive that are
// simply not archived yet (buffered or still to be read: not an error).
// Exit code: 0 = consistent, 1 = a gap, overlap, missing or corrupt object, 2 = usage/config.
// Read-only; run it while kbridge runs or after: the topic is read before the manifests, so what
// was committed then is published by the time the manifests are read. Progress goes to
// `progress` on long runs.

#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "handlers/archive/archive_settings.h"

namespace kbridge::handlers::archive {

// What Kafka says about one shard.
struct TopicShard {
  std::int64_t low = 0;                   // oldest retained offset
  std::int64_t high = 0;                  // next offset to be written
  std::optional<std::int64_t> committed;  // the mapping's checkpoint; none before its first commit
};

struct TopicView {
  std::string topic;
  std::map<std::int32_t, TopicShard> shards;  // by partition (= shard number)
  // The mapping starts at TRIM_HORIZON: records before the archive's first offset (and below the
  // checkpoint) are missing. Otherwise they were skipped on purpose and are not checked.
  bool fromTrimHorizon = true;
};

struct VerifyOptions {
  const TopicView* topic = nullptr;  // nullptr: the archive alone
  // A progress line every this many objects, and at least every 2 s.
  std::int64_t progressEveryObjects = 1000;
};

int verifyArchive(const ArchiveSettings& settings, const std::string& mapping, std::ostream& out,
                  std::ostream& progress, const VerifyOptions& options = {});

// The subcommand: args after "archive verify" ([--offline] skips the topic).
int archiveVerifyCommand(const std::vector<std::string>& args, std::ostream& out,
                         std::ostream& err);

}  // namespace kbridge::handlers::archive
