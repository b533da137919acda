#pragma once
// The `table` handler: the seed's streaming function, which writes processed records into its
// DynamoDB table (DESIGN.md §7, handlers/README.md "table"). Each record's JSON is upserted as an
// item keyed by its id field (the sequence number when it has none), with a TTL attribute; a
// batch is one SQLite transaction, durable when deliver() returns ok. Items past their TTL are
// neither served nor written, and a sweeper deletes them.
//
// The stored item (what GET /api/data/{id} answers):
//   {"id", "data": <the record's JSON>, "partitionKey", "sequenceNumber", "shardId",
//    "timestamp": <arrival time, ISO-8601 UTC>, "<ttl_attribute>": <epoch seconds>}
// Every field derives from the record itself, so a replayed record yields the same item.
//
// A record that is not JSON (or whose id is not a string or number) is a failure of that record:
// the other records of the batch are written, and deliver() answers failed with the index of the
// first bad one, as a function answering batchItemFailures does. With the mapping's
// report_batch_item_failures the runtime retries from there (bisect_on_error and on_failure then
// isolate and divert the bad record); without it, like Lambda, it counts the batch as delivered
// and the bad record is only logged.
//
// Lifecycle: built from settings → open() (opens the store, starts the sweeper thread) →
// deliver()* → close() (stops the sweeper, closes the store).
// Threading: deliver() runs concurrently for different shards/lanes; the store serializes them.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/table_reader.h"
#include "config/config.h"
#include "handlers/table/table_settings.h"
#include "runtime/handler.h"

namespace kbridge::handlers {

std::unique_ptr<runtime::Handler> buildTableHandler(const nlohmann::json& settings,
                                                    const std::string& path,
                                                    std::vector<std::string>& errors);

namespace table {

// With `sweeperThread` false, expired rows are deleted only when the owner calls sweepExpired()
// (tests drive it with a ManualClock).
std::unique_ptr<runtime::Handler> makeTableHandler(TableSettings settings, bool sweeperThread);

// Deletes the rows expired now (the handler's clock); returns how many, or -1 on an error. What
// the sweeper thread runs.
std::int64_t sweepExpired(runtime::Handler& tableHandler);

// The REST API's read access to a table mapping's store: a separate read-only connection to the
// same file. Null with `error` set when the settings are invalid or the file cannot be opened.
std::shared_ptr<api::TableReader> openTableReader(const config::MappingConfig& mapping,
                                                  std::string& error);

}  // namespace table
}  // namespace kbridge::handlers
