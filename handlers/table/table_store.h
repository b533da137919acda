#pragma once
// The table handler's store: one SQLite file (WAL mode) holding one table of JSON items keyed by
// id, each with an expiry (the item's TTL attribute, epoch seconds).
//
//   items(id TEXT PRIMARY KEY, item TEXT, arrival_ms, shard, seq_offset, expires_at) WITHOUT ROWID
//   items_expires_at: index on expires_at (the sweeper's and the expiry filter's)
//
// Writes: upsert() writes a batch in one transaction (synchronous=FULL: durable when it returns).
// An item replaces the stored one only when its record is not older — (arrival_ms, shard,
// seq_offset) not lower — so delivering the same records again, or older ones after newer ones,
// leaves the table as it was: replays are idempotent. Items already expired are not written.
// Reads never return expired items; sweep() deletes them.
//
// Lifecycle: open() → any calls → destruction closes the connection. A writer (the handler) and
// any number of readers (the REST API) may open the same file, in this process or others; WAL
// lets readers read while the writer writes.
// Threading: thread-safe; one connection per store, its calls serialized by a mutex.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "api/table_reader.h"
#include "common/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace kbridge::handlers::table {

class TableStore final : public api::TableReader {
 public:
  enum class Mode { kWriter, kReader };

  struct Row {
    std::string id;
    std::string item;  // the JSON document served by the API
    std::int64_t arrivalMs = 0;
    std::string shard;  // "shardId-000000000000"
    std::int64_t offset = 0;
    std::optional<std::int64_t> expiresAtS;  // epoch seconds; nullopt = never
  };

  // Opens (creating the file, its directory and the schema when missing) in WAL mode. A reader's
  // connection refuses writes (query_only).
  static Result<std::unique_ptr<TableStore>, std::string> open(const std::string& path, Mode mode);
  ~TableStore() override;
  TableStore(const TableStore&) = delete;
  TableStore& operator=(const TableStore&) = delete;

  // One transaction; rows expired at `nowMs` are skipped. Returns the error text on failure
  // (nothing of the batch is written then).
  Status<std::string> upsert(std::span<const Row> rows, std::int64_t nowMs);

  Result<std::optional<std::string>, std::string> get(const std::string& id,
                                                      std::int64_t nowMs) override;
  Result<Page, std::string> list(const std::optional<std::string>& afterId, std::size_t limit,
                                 std::int64_t nowMs) override;

  // Deletes the rows expired at `nowMs` (in transactions of at most `chunk` rows); returns how
  // many.
  Result<std::int64_t, std::string> sweep(std::int64_t nowMs, int chunk = 5000);

  // Every row, expired or not (tests, diagnostics).
  Result<std::int64_t, std::string> rowCount();

 private:
  explicit TableStore(sqlite3* db) : db_(db) {}
  std::string lastError() const;
  Status<std::string> exec(const char* sql);
  Result<sqlite3_stmt*, std::string> prepare(sqlite3_stmt*& slot, const char* sql);

  std::mutex mutex_;  // guards the connection and the statements
  sqlite3* db_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* listFirst_ = nullptr;
  sqlite3_stmt* listAfter_ = nullptr;
  sqlite3_stmt* sweep_ = nullptr;
};

}  // namespace kbridge::handlers::table
