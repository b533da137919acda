#include "handlers/table/table_handler.h"

#include <spdlog/spdlog.h>

#include <cassert>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "handlers/table/table_store.h"
#include "runtime/failure_record.h"

namespace kbridge::handlers {
namespace table {
namespace {

using Json = nlohmann::ordered_json;

// DynamoDB's limit on a partition key value.
constexpr std::size_t kMaxIdBytes = 2048;

// The item's id: the id field as text, or the sequence number when the record has none. Empty
// with `why` set when the field holds something else.
std::string idOf(const Json& doc, const runtime::Record& record, const std::string& field,
                 std::string& why) {
  if (!doc.is_object()) return record.sequenceNumber;
  const auto it = doc.find(field);
  if (it == doc.end() || it->is_null()) return record.sequenceNumber;
  std::string id;
  if (it->is_string()) {
    id = it->get<std::string>();
  } else if (it->is_number()) {
    id = it->dump();
  } else {
    why = "its \"" + field + "\" is neither a string nor a number";
    return "";
  }
  if (id.empty()) why = "its \"" + field + "\" is empty";
  if (id.size() > kMaxIdBytes) why = "its \"" + field + "\" is longer than 2048 bytes";
  return why.empty() ? id : "";
}

class TableHandler final : public runtime::Handler {
 public:
  TableHandler(TableSettings settings, bool sweeperThread)
      : settings_(std::move(settings)), sweeperThread_(sweeperThread) {}
  ~TableHandler() override { close(); }

  std::string open(const runtime::HandlerContext& context) override {
    context_ = context;
    clock_ = context.clock ? context.clock : &systemClock_;
    auto store = TableStore::open(settings_.path, TableStore::Mode::kWriter);
    if (!store) return "table: " + store.error();
    store_ = std::move(*store);
    if (sweeperThread_) sweeper_ = std::thread([this] { sweepLoop(); });
    return "";
  }

  runtime::DeliveryResult deliver(const runtime::Batch& batch) override {
    assert(store_ && "open() before deliver()");
    std::vector<TableStore::Row> rows;
    rows.reserve(batch.records.size());
    std::optional<std::size_t> firstBad;
    std::string firstWhy;
    std::size_t bad = 0;
    for (std::size_t i = 0; i < batch.records.size(); ++i) {
      const auto& record = batch.records[i];
      std::string why;
      auto row = rowOf(record, batch.shardId, why);
      if (!row) {
        ++bad;
        if (!firstBad) {
          firstBad = i;
          firstWhy = "table: record " + record.sequenceNumber + " of " +
                     std::string(batch.shardId) + " " + why;
        }
        continue;
      }
      rows.push_back(std::move(*row));
    }
    if (auto written = store_->upsert(rows, clock_->nowMillis()); !written) {
      // A full disk, a locked or damaged file: nothing of the batch is written; try it again.
      return runtime::DeliveryResult::retryLater("table: " + written.error());
    }
    if (firstBad) {
      spdlog::warn("[{}] {} of {} records of the batch not written; the first: {}",
                   context_.mappingName, bad, batch.records.size(), firstWhy);
      return runtime::DeliveryResult::failed(firstWhy, *firstBad);
    }
    return runtime::DeliveryResult::ok();
  }

  void close() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (sweeper_.joinable()) sweeper_.join();
    store_.reset();
  }

  std::int64_t sweepNow() {
    if (!store_) return -1;
    auto n = store_->sweep(clock_->nowMillis());
    if (!n) {
      spdlog::warn("[{}] table: deleting expired items failed: {}", context_.mappingName,
                   n.error());
      return -1;
    }
    if (*n > 0) spdlog::debug("[{}] table: deleted {} expired items", context_.mappingName, *n);
    return *n;
  }

 private:
  std::optional<TableStore::Row> rowOf(const runtime::Record& record, std::string_view shardId,
                                       std::string& why) const {
    Json data = Json::parse(record.data, nullptr, /*allow_exceptions=*/false);
    if (data.is_discarded()) {
      why = "is not valid JSON";
      return std::nullopt;
    }
    TableStore::Row row;
    row.id = idOf(data, record, settings_.idField, why);
    if (row.id.empty()) return std::nullopt;
    row.arrivalMs = record.arrivalMs;
    row.shard = std::string(shardId);
    row.offset = record.offset;
    Json item;
    item["id"] = row.id;
    item["data"] = std::move(data);
    item["partitionKey"] = record.partitionKey;
    item["sequenceNumber"] = record.sequenceNumber;
    item["shardId"] = row.shard;
    item["timestamp"] = runtime::isoMillis(record.arrivalMs);
    if (settings_.ttlSeconds > 0) {
      row.expiresAtS = record.arrivalMs / 1000 + settings_.ttlSeconds;
      item[settings_.ttlAttribute] = *row.expiresAtS;
    }
    row.item = item.dump(-1, ' ', false, Json::error_handler_t::replace);
    return row;
  }

  void sweepLoop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, std::chrono::milliseconds(settings_.sweepIntervalMs),
                     [this] { return stopping_; });
      if (stopping_) break;
      lock.unlock();
      sweepNow();
      lock.lock();
    }
  }

  const TableSettings settings_;
  const bool sweeperThread_;
  runtime::HandlerContext context_;
  SystemClock systemClock_;
  const Clock* clock_ = &systemClock_;
  std::unique_ptr<TableStore> store_;
  std::mutex mutex_;  // guards stopping_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace

std::unique_ptr<runtime::Handler> makeTableHandler(TableSettings settings, bool sweeperThread) {
  return std::make_unique<TableHandler>(std::move(settings), sweeperThread);
}

std::int64_t sweepExpired(runtime::Handler& tableHandler) {
  return static_cast<TableHandler&>(tableHandler).sweepNow();
}

std::shared_ptr<api::TableReader> openTableReader(const config::MappingConfig& mapping,
                                                  std::string& error) {
  std::vector<std::string> errors;
  auto settings = parseTableSettings(mapping.handlerSettings, "handler", errors);
  if (!settings) {
    error = errors.empty() ? "invalid table settings" : errors.front();
    return nullptr;
  }
  auto store = TableStore::open(settings->path, TableStore::Mode::kReader);
  if (!store) {
    error = store.error();
    return nullptr;
  }
  return std::shared_ptr<api::TableReader>(std::move(*store));
}

}  // namespace table

std::unique_ptr<runtime::Handler> buildTableHandler(const nlohmann::json& settings,
                                                    const std::string& path,
                                                    std::vector<std::string>& errors) {
  auto s = table::parseTableSettings(settings, path, errors);
  if (!s) return nullptr;
  return table::makeTableHandler(std::move(*s), /*sweeperThread=*/true);
}

}  // namespace kbridge::handlers
