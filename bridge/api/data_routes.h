#pragma once
// GET /api/data?limit=&cursor= and GET /api/data/{id}: the seed's API over its processed-data
// table, served from a table mapping's store (api.data.mapping in the config).
//
//   GET /api/data/{id}  200 the item | 404 {"message": "Item not found"}
//   GET /api/data       200 {"items": [...], "count": N, "nextCursor": "..."} — items by id;
//   nextCursor
//                       (opaque) only when more items follow; 400 for a bad limit or cursor
// Expired items (past their TTL) are neither listed nor found. A store that cannot be read
// answers 500. Reads run on `executor`, never on the I/O thread.

#include <memory>

#include "api/router.h"
#include "api/table_reader.h"
#include "common/clock.h"
#include "common/executor.h"

namespace kbridge::api {

struct DataRouteOptions {
  std::size_t defaultLimit = 50;
  std::size_t maxLimit = 1000;
};

// `reader`, `executor` and `clock` outlive the router's requests.
void addDataRoutes(ApiRouter& router, std::shared_ptr<TableReader> reader, Executor& executor,
                   const Clock& clock, DataRouteOptions options);

// The opaque page cursor: base64url of the last id of the previous page.
std::string encodeCursor(const std::string& lastId);
std::optional<std::string> decodeCursor(const std::string& cursor);

}  // namespace kbridge::api
