#pragma once
// The read side of a table mapping's store, as the REST API's data routes see it (no SQLite here:
// handlers/table implements it; tests use an in-memory double). Items are the stored JSON
// documents, as text, so the routes splice them into their answers without parsing them again.
//
// Threading: implementations are thread-safe; calls may block (disk) and run on an executor,
// never on an HTTP I/O thread.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace kbridge::api {

class TableReader {
 public:
  virtual ~TableReader() = default;

  struct Page {
    std::vector<std::string> items;  // JSON documents, ordered by id
    bool more = false;               // items after the last one exist
    std::string lastId;              // the last item's id (the next page's cursor), "" if none
  };

  // The item with `id` unless it is absent or expired at `nowMs`; an error text when the store
  // cannot be read.
  virtual Result<std::optional<std::string>, std::string> get(const std::string& id,
                                                              std::int64_t nowMs) = 0;

  // Up to `limit` unexpired items with ids greater than `afterId` (all when nullopt), by id.
  virtual Result<Page, std::string> list(const std::optional<std::string>& afterId,
                                         std::size_t limit, std::int64_t nowMs) = 0;
};

}  // namespace kbridge::api
