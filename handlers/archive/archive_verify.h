#pragma once
// `kbridge archive verify --mapping M --config FILE`: audits an archive from its manifests and
// objects. Per shard it reports the offset ranges covered by published objects, gaps inside
// them, overlaps (records published twice), error-prefix records, objects whose record count
// disagrees with their manifest entry, and files under the destination that no manifest names.
// Exit code: 0 = consistent, 1 = a gap, overlap, missing or corrupt object, 2 = usage/config.
// Read-only; run it while kbridge runs or after. Prints progress to `progress` on long runs.

#include <iosfwd>
#include <string>
#include <vector>

#include "handlers/archive/archive_settings.h"

namespace kbridge::handlers::archive {

int verifyArchive(const ArchiveSettings& settings, const std::string& mapping, std::ostream& out,
                  std::ostream& progress);

// The subcommand: args after "archive verify".
int archiveVerifyCommand(const std::vector<std::string>& args, std::ostream& out,
                         std::ostream& err);

}  // namespace kbridge::handlers::archive
