#pragma once
// The per-shard manifest log: the archive's own record of what it has published, written ahead
// of every publication (DESIGN.md §7), one JSON object per line:
//   {"intent":KEY,"offsets":[[first,end],…],"records":N,"bytes":N,"first_sequence_number":S,
//    "error":false}                     fsynced before the object is renamed into place
//   {"done":KEY}                        after the rename and the directory fsync
//   {"abort":KEY}                       the publication failed before the rename
// An intent without done/abort (a crash between the two) counts as published exactly when its
// object exists; open() settles it by appending done or abort, so at most the last intent is
// ever pending. A torn last line (a crash mid-append) is cut off. The log only grows: one line
// per object, so it stays small next to the objects it describes.
// Lifecycle: open() → appendIntent()/appendDone()/appendAbort() → destroyed (closes the file).
// Threading: none; owned by one shard's state, whose mutex serializes publications.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "handlers/archive/offset_ranges.h"

namespace kbridge::handlers::archive {

struct ManifestEntry {
  enum class State { kPending, kDone, kAborted };
  std::string key;  // the object's path under the destination directory
  OffsetRanges offsets;
  std::int64_t records = 0;
  std::int64_t bytes = 0;  // before compression
  std::string firstSequenceNumber;
  bool error = false;  // an error-prefix object
  State state = State::kPending;
};

// Parses a manifest's text; a torn (unterminated) last line is ignored and its length reported in
// `tornBytes`. nullopt + `error` when a complete line is not a manifest entry.
std::optional<std::vector<ManifestEntry>> parseManifest(const std::string& text,
                                                        std::size_t& tornBytes, std::string& error);

class Manifest {
 public:
  // Opens or creates `path`, repairs it and settles a pending intent by the existence of its
  // object under `root`. Adds the published offsets to `published`. nullptr + `error` on failure.
  static std::unique_ptr<Manifest> open(const std::string& path, const std::string& root,
                                        OffsetRanges& published, std::string& error);
  ~Manifest();
  Manifest(const Manifest&) = delete;
  Manifest& operator=(const Manifest&) = delete;

  std::string appendIntent(const ManifestEntry& entry);  // fsynced; "" = ok
  std::string appendDone(const std::string& key);
  std::string appendAbort(const std::string& key);

 private:
  explicit Manifest(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  std::string appendLine(const std::string& line);

  int fd_ = -1;
  std::string path_;
};

}  // namespace kbridge::handlers::archive
