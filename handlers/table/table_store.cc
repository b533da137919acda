#include "handlers/table/table_store.h"

#include <sqlite3.h>

#include <filesystem>

namespace kbridge::handlers::table {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS items ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " item TEXT NOT NULL,"
    " arrival_ms INTEGER NOT NULL,"
    " shard TEXT NOT NULL,"
    " seq_offset INTEGER NOT NULL,"
    " expires_at INTEGER"
    ") WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS items_expires_at ON items(expires_at)"
    " WHERE expires_at IS NOT NULL;";

// A newer record (later arrival; at the same arrival a later shard, then a later offset) replaces
// the stored item; the same or an older one changes nothing.
constexpr const char* kUpsert =
    "INSERT INTO items(id, item, arrival_ms, shard, seq_offset, expires_at)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
    " ON CONFLICT(id) DO UPDATE SET item = excluded.item, arrival_ms = excluded.arrival_ms,"
    " shard = excluded.shard, seq_offset = excluded.seq_offset, expires_at = excluded.expires_at"
    " WHERE excluded.arrival_ms > items.arrival_ms"
    " OR (excluded.arrival_ms = items.arrival_ms AND (excluded.shard > items.shard"
    " OR (excluded.shard = items.shard AND excluded.seq_offset > items.seq_offset)))";

constexpr const char* kGet =
    "SELECT item FROM items WHERE id = ?1 AND (expires_at IS NULL OR expires_at > ?2)";
constexpr const char* kListFirst =
    "SELECT id, item FROM items WHERE (expires_at IS NULL OR expires_at > ?1)"
    " ORDER BY id LIMIT ?2";
constexpr const char* kListAfter =
    "SELECT id, item FROM items WHERE id > ?3 AND (expires_at IS NULL OR expires_at > ?1)"
    " ORDER BY id LIMIT ?2";
constexpr const char* kSweep =
    "DELETE FROM items WHERE id IN"
    " (SELECT id FROM items WHERE expires_at IS NOT NULL AND expires_at <= ?1 LIMIT ?2)";

// Expiry is at the TTL's second: an item is served while now < expires_at seconds.
std::int64_t nowSeconds(std::int64_t nowMs) {
  return nowMs >= 0 ? nowMs / 1000 : -((-nowMs + 999) / 1000);
}

// Resets a statement when the scope ends, so it never holds a read transaction open.
struct Reset {
  sqlite3_stmt* s;
  ~Reset() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};

std::string columnText(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i))) : std::string();
}

void bindText(sqlite3_stmt* s, int i, const std::string& text) {
  sqlite3_bind_text(s, i, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

}  // namespace

Result<std::unique_ptr<TableStore>, std::string> TableStore::open(const std::string& path,
                                                                  Mode mode) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return fail("cannot create " + parent.string() + ": " + ec.message());
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return fail("cannot open " + path + ": " + why);
  }
  std::unique_ptr<TableStore> store(new TableStore(db));
  sqlite3_busy_timeout(db, 5000);
  // journal_mode=WAL is kept in the file; synchronous=FULL makes a committed batch durable, which
  // the runtime relies on before it commits the batch's offsets.
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", kSchema}) {
    if (auto s = store->exec(sql); !s) return fail("cannot open " + path + ": " + s.error());
  }
  if (mode == Mode::kReader) {
    if (auto s = store->exec("PRAGMA query_only=1"); !s) return fail(s.error());
  }
  return store;
}

TableStore::~TableStore() {
  for (auto* s : {upsert_, get_, listFirst_, listAfter_, sweep_}) sqlite3_finalize(s);
  sqlite3_close(db_);
}

std::string TableStore::lastError() const {
  return sqlite3_errmsg(db_);
}

Status<std::string> TableStore::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string why = message ? message : lastError();
    sqlite3_free(message);
    return fail(why);
  }
  return {};
}

Result<sqlite3_stmt*, std::string> TableStore::prepare(sqlite3_stmt*& slot, const char* sql) {
  if (!slot && sqlite3_prepare_v2(db_, sql, -1, &slot, nullptr) != SQLITE_OK) {
    slot = nullptr;
    return fail(lastError());
  }
  return slot;
}

Status<std::string> TableStore::upsert(std::span<const Row> rows, std::int64_t nowMs) {
  const std::int64_t now = nowSeconds(nowMs);
  std::lock_guard lock(mutex_);
  auto stmt = prepare(upsert_, kUpsert);
  if (!stmt) return fail(stmt.error());
  if (auto s = exec("BEGIN IMMEDIATE"); !s) return s;
  for (const auto& row : rows) {
    if (row.expiresAtS && *row.expiresAtS <= now) continue;  // neither served nor kept
    Reset reset{*stmt};
    bindText(*stmt, 1, row.id);
    bindText(*stmt, 2, row.item);
    sqlite3_bind_int64(*stmt, 3, row.arrivalMs);
    bindText(*stmt, 4, row.shard);
    sqlite3_bind_int64(*stmt, 5, row.offset);
    if (row.expiresAtS) {
      sqlite3_bind_int64(*stmt, 6, *row.expiresAtS);
    } else {
      sqlite3_bind_null(*stmt, 6);
    }
    if (sqlite3_step(*stmt) != SQLITE_DONE) {
      std::string why = lastError();
      sqlite3_reset(*stmt);
      (void)exec("ROLLBACK");
      return fail(why);
    }
  }
  if (auto s = exec("COMMIT"); !s) {
    (void)exec("ROLLBACK");
    return s;
  }
  return {};
}

Result<std::optional<std::string>, std::string> TableStore::get(const std::string& id,
                                                                std::int64_t nowMs) {
  std::lock_guard lock(mutex_);
  auto stmt = prepare(get_, kGet);
  if (!stmt) return fail(stmt.error());
  Reset reset{*stmt};
  bindText(*stmt, 1, id);
  sqlite3_bind_int64(*stmt, 2, nowSeconds(nowMs));
  const int rc = sqlite3_step(*stmt);
  if (rc == SQLITE_ROW) return std::optional<std::string>(columnText(*stmt, 0));
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  return fail(lastError());
}

Result<api::TableReader::Page, std::string> TableStore::list(
    const std::optional<std::string>& afterId, std::size_t limit, std::int64_t nowMs) {
  std::lock_guard lock(mutex_);
  auto stmt = afterId ? prepare(listAfter_, kListAfter) : prepare(listFirst_, kListFirst);
  if (!stmt) return fail(stmt.error());
  Reset reset{*stmt};
  sqlite3_bind_int64(*stmt, 1, nowSeconds(nowMs));
  sqlite3_bind_int64(*stmt, 2, static_cast<std::int64_t>(limit) + 1);  // one more: is there more?
  if (afterId) bindText(*stmt, 3, *afterId);
  Page page;
  for (;;) {
    const int rc = sqlite3_step(*stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return fail(lastError());
    if (page.items.size() == limit) {
      page.more = true;
      break;
    }
    page.lastId = columnText(*stmt, 0);
    page.items.push_back(columnText(*stmt, 1));
  }
  return page;
}

Result<std::int64_t, std::string> TableStore::sweep(std::int64_t nowMs, int chunk) {
  std::lock_guard lock(mutex_);
  auto stmt = prepare(sweep_, kSweep);
  if (!stmt) return fail(stmt.error());
  std::int64_t total = 0;
  for (;;) {
    Reset reset{*stmt};
    sqlite3_bind_int64(*stmt, 1, nowSeconds(nowMs));
    sqlite3_bind_int64(*stmt, 2, chunk);
    if (sqlite3_step(*stmt) != SQLITE_DONE) return fail(lastError());
    const int deleted = sqlite3_changes(db_);
    total += deleted;
    if (deleted < chunk) return total;
  }
}

Result<std::int64_t, std::string> TableStore::rowCount() {
  std::lock_guard lock(mutex_);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT COUNT(*) FROM items", -1, &stmt, nullptr) != SQLITE_OK) {
    return fail(lastError());
  }
  std::int64_t n = -1;
  if (sqlite3_step(stmt) == SQLITE_ROW) n = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  if (n < 0) return fail(lastError());
  return n;
}

}  // namespace kbridge::handlers::table
