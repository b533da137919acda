#include "handlers/archive/archive_handler.h"

#include <dirent.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "handlers/archive/manifest.h"
#include "handlers/archive/object_writer.h"
#include "handlers/archive/offset_ranges.h"
#include "kinesis/codec.h"
#include "ops/metrics.h"

namespace kbridge::handlers {
namespace archive {
namespace {

constexpr char kRandomPlaceholder = '\x01';  // stands for !{firehose:random-string} in a route
constexpr auto kTick = std::chrono::milliseconds(250);

std::string dirName(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

// One object being filled: its records are in `writer`'s temp file, not yet published.
struct OpenObject {
  std::string key;  // path under the destination, final
  bool error = false;
  std::unique_ptr<ObjectWriter> writer;
  OffsetRanges offsets;
  std::string firstSequenceNumber;
  std::int64_t records = 0;
  std::int64_t bytes = 0;  // before compression, delimiters included
  std::int64_t openedMs = 0;
  std::uint64_t lastWrite = 0;  // the shard's write counter at the last append: LRU order
};

// Everything the handler knows about one shard; guarded by `mutex` except `durable`.
struct ShardState {
  std::mutex mutex;
  std::string shardId;
  bool loaded = false;
  std::unique_ptr<Manifest> manifest;
  OffsetRanges published;                  // from the manifest and this run's publications
  OffsetRanges buffered;                   // offsets held by open objects
  std::map<std::string, OpenObject> open;  // by route (evaluated prefix, random placeholder)
  std::optional<std::int64_t> pinned;      // first offset of an object lost to an I/O error
  std::uint64_t tempCounter = 0;
  std::uint64_t writes = 0;  // appends so far, for LRU order
  // The last evaluated route of an undivided prefix, valid for one tick of its time resolution.
  std::int64_t routeTick = -1;
  std::string routeCache;
  std::mt19937_64 random{std::random_device{}()};
  std::atomic<std::int64_t> durable{-1};  // durableOffset() answer; -1 = all durable
};

class ArchiveHandler final : public runtime::Handler {
 public:
  ArchiveHandler(ArchiveSettings settings, bool intervalThread)
      : settings_(std::move(settings)), intervalThread_(intervalThread) {}
  ~ArchiveHandler() override { close(); }

  std::string open(const runtime::HandlerContext& context) override {
    context_ = context;
    clock_ = context.clock ? context.clock : &systemClock_;
    stateDir_ = archiveStateDir(settings_.destinationPath, context.mappingName);
    registerMetrics(context);
    if (auto why = makeDirectories(stateDir_ + "/tmp"); !why.empty())
      return "archive handler: " + why;
    if (intervalThread_ && settings_.bufferIntervalMs > 0 && !thread_.joinable()) {
      stop_ = false;
      thread_ = std::thread([this] { intervalLoop(); });
    }
    return "";
  }

  runtime::DeliveryResult deliver(const runtime::Batch& batch) override {
    auto st = shard(batch.partition, batch.shardId);
    std::lock_guard lock(st->mutex);
    if (auto why = ensureLoaded(*st); !why.empty()) return runtime::DeliveryResult::retryLater(why);
    const std::int64_t now = clock_->nowMillis();
    std::string route, errorLine;
    for (const auto& r : batch.records) {
      // A replay from the checkpoint: what a published or open object holds is not written again.
      if (st->published.contains(r.offset) || st->buffered.contains(r.offset)) continue;
      const bool isError = routeOf(*st, batch.shardId, r, now, route, errorLine);
      const std::string_view line = isError ? std::string_view(errorLine) : r.data;
      auto it = st->open.find(route);
      if (it == st->open.end()) {
        if (auto why = reserveSlot(*st); !why.empty()) return fail(*st, why);
        std::string why;
        it = create(*st, route, isError, r, now, why);
        if (it == st->open.end()) {
          openTotal_.fetch_sub(1);
          return fail(*st, why);
        }
      }
      OpenObject& o = it->second;
      std::string why = o.writer->append(line);
      if (why.empty() && settings_.newlineDelimiter && !isError) why = o.writer->append("\n");
      if (!why.empty()) {
        lose(*st, it, why);
        return fail(*st, why);
      }
      o.offsets.add(r.offset);
      st->buffered.add(r.offset);
      o.records += 1;
      o.bytes +=
          static_cast<std::int64_t>(line.size() + (settings_.newlineDelimiter && !isError ? 1 : 0));
      o.lastWrite = ++st->writes;
      if (static_cast<std::size_t>(o.bytes) >= settings_.bufferSizeBytes) {
        if (auto w = publish(*st, it); !w.empty()) return fail(*st, w);
      }
    }
    if (settings_.bufferIntervalMs == 0) {
      if (auto why = publishAll(*st); !why.empty()) return fail(*st, why);
    }
    updateDurable(*st);
    return runtime::DeliveryResult::ok();
  }

  std::optional<std::int64_t> durableOffset(std::int32_t partition) override {
    std::lock_guard lock(shardsMutex_);
    auto it = shards_.find(partition);
    if (it == shards_.end()) return std::nullopt;
    const auto d = it->second->durable.load();
    return d < 0 ? std::nullopt : std::optional(d);
  }

  void release(std::int32_t partition) override {
    std::shared_ptr<ShardState> st;
    {
      std::lock_guard lock(shardsMutex_);
      auto it = shards_.find(partition);
      if (it == shards_.end()) return;
      st = std::move(it->second);
      shards_.erase(it);
    }
    std::lock_guard lock(st->mutex);
    // Unpublished objects are dropped (their temp files deleted): they were never committed,
    // the next owner reads them again from the checkpoint.
    clearOpen(*st);
  }

  void flush() override {
    for (auto& st : snapshot()) {
      std::lock_guard lock(st->mutex);
      if (!st->loaded) continue;
      if (auto why = publishAll(*st); !why.empty())
        spdlog::error("archive {}: flush of {} failed: {}", context_.mappingName, st->shardId, why);
      updateDurable(*st);
    }
  }

  void close() override {
    {
      std::lock_guard lock(stopMutex_);
      stop_ = true;
    }
    stopCv_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(shardsMutex_);
    for (auto& [_, st] : shards_) {
      std::lock_guard l(st->mutex);
      clearOpen(*st);
    }
    shards_.clear();
  }

  void publishDue() {
    for (auto& st : snapshot()) {
      std::lock_guard lock(st->mutex);
      if (!st->loaded) continue;
      const std::int64_t now = clock_->nowMillis();
      for (auto it = st->open.begin(); it != st->open.end();) {
        auto next = std::next(it);
        if (now - it->second.openedMs >= settings_.bufferIntervalMs) {
          if (auto why = publish(*st, it); !why.empty())
            spdlog::error("archive {}: {}: {}", context_.mappingName, st->shardId, why);
        }
        it = next;
      }
      updateDurable(*st);
    }
  }

 private:
  using OpenIt = std::map<std::string, OpenObject>::iterator;

  std::shared_ptr<ShardState> shard(std::int32_t partition, std::string_view shardId) {
    std::lock_guard lock(shardsMutex_);
    auto& st = shards_[partition];
    if (!st) {
      st = std::make_shared<ShardState>();
      st->shardId = std::string(shardId);
    }
    return st;
  }

  std::vector<std::shared_ptr<ShardState>> snapshot() {
    std::lock_guard lock(shardsMutex_);
    std::vector<std::shared_ptr<ShardState>> out;
    for (auto& [_, st] : shards_) out.push_back(st);
    return out;
  }

  // Reads the shard's manifest (settling a crash's pending intent) and deletes the temp files
  // a crashed run left: their records were never published, so they are read again.
  std::string ensureLoaded(ShardState& st) {
    if (st.loaded) return "";
    const std::string tmp = stateDir_ + "/tmp";
    if (DIR* d = ::opendir(tmp.c_str())) {
      const std::string mine = st.shardId + ".";
      while (auto* e = ::readdir(d)) {
        if (std::string_view(e->d_name).starts_with(mine))
          ::unlink((tmp + "/" + e->d_name).c_str());
      }
      ::closedir(d);
    }
    std::string why;
    st.published = {};
    st.manifest = Manifest::open(stateDir_ + "/" + st.shardId + ".manifest",
                                 settings_.destinationPath, st.published, why);
    if (!st.manifest) return "archive handler: " + why;
    if (why = fsyncDirectory(stateDir_); !why.empty()) return "archive handler: " + why;
    st.loaded = true;
    return "";
  }

  // Computes the record's route (its evaluated prefix) and the bytes it contributes; true when
  // it goes to the error prefix.
  // (`line` is set for error records only: the others are written as they are.)
  bool routeOf(ShardState& st, std::string_view shardId, const runtime::Record& r, std::int64_t now,
               std::string& route, std::string& line) const {
    const std::string_view placeholder(&kRandomPlaceholder, 1);
    if (settings_.partitionKeys.empty()) {
      // The route changes at most once per tick of the prefix's finest time field.
      const std::int64_t tick = r.arrivalMs >= 0 ? r.arrivalMs / timeResolutionMs_ : -1;
      if (tick < 0 || tick != st.routeTick) {
        st.routeCache.assign(1, 'P');
        settings_.prefix.appendEvaluated(st.routeCache, {r.arrivalMs, nullptr, placeholder, ""});
        st.routeTick = tick;
      }
      route = st.routeCache;
      return false;
    }
    route.clear();
    std::map<std::string, std::string> keys;
    const std::string why = extractKeys(r.data, keys);
    if (why.empty()) {
      route += 'P';
      settings_.prefix.appendEvaluated(route, {r.arrivalMs, &keys, placeholder, ""});
      return false;
    }
    route += 'E';
    settings_.errorPrefix.appendEvaluated(route,
                                          {r.arrivalMs, nullptr, placeholder, kPartitioningFailed});
    // Firehose's error record shape, one JSON object per line.
    nlohmann::json j;
    j["attemptsMade"] = 1;
    j["arrivalTimestamp"] = r.arrivalMs;
    j["errorCode"] = "DynamicPartitioning.MetadataExtractionFailed";
    j["errorMessage"] = why;
    j["attemptEndingTimestamp"] = now;
    j["rawData"] = kinesis::base64Encode(r.data);
    j["shardId"] = std::string(shardId);
    j["sequenceNumber"] = r.sequenceNumber;
    j["partitionKey"] = r.partitionKey;
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    return true;
  }

  std::string extractKeys(const std::string& data, std::map<std::string, std::string>& keys) const {
    const auto doc = nlohmann::json::parse(data, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return "record is not JSON";
    for (const auto& [name, path] : settings_.partitionKeys) {
      const nlohmann::json* v = &doc;
      for (const auto& field : path) {
        if (!v->is_object()) return "no field ." + field + " for key " + name;
        auto it = v->find(field);
        if (it == v->end()) return "no field ." + field + " for key " + name;
        v = &*it;
      }
      std::string value;
      if (v->is_string()) {
        value = v->get<std::string>();
      } else if (v->is_number() || v->is_boolean()) {
        value = v->dump();
      } else {
        return "key " + name + " is not a string, number or boolean";
      }
      // A key becomes part of a path: it must stay one component inside the destination.
      if (value.empty() || value == "." || value == "..")
        return "key " + name + " is \"" + value + "\"";
      for (auto& c : value) {
        if (c == '/' || c == '\0' || c == kRandomPlaceholder) c = '_';
      }
      keys[name] = std::move(value);
    }
    return "";
  }

  OpenIt create(ShardState& st, const std::string& route, bool isError, const runtime::Record& r,
                std::int64_t now, std::string& why) {
    OpenObject o;
    o.error = isError;
    o.key = route.substr(1);
    if (auto pos = o.key.find(kRandomPlaceholder); pos != std::string::npos) {
      const std::string rnd = randomString(st.random());
      for (; pos != std::string::npos; pos = o.key.find(kRandomPlaceholder, pos))
        o.key.replace(pos, 1, rnd);
    }
    // Deterministic from (stream, shard, first sequence number): a first offset belongs to one
    // published object at most, so names never collide.
    o.key +=
        context_.streamName + "-" + st.shardId + "-" + r.sequenceNumber + settings_.fileExtension;
    const std::string temp = stateDir_ + "/tmp/" + st.shardId + "." + std::to_string(r.offset) +
                             "." + std::to_string(++st.tempCounter) + ".tmp";
    o.writer = ObjectWriter::create(temp, settings_.compression, settings_.compressionLevel, why);
    if (!o.writer) return st.open.end();
    o.firstSequenceNumber = r.sequenceNumber;
    o.openedMs = now;
    return st.open.emplace(route, std::move(o)).first;
  }

  // Takes one place in openTotal_ for a new object. Memory stays bounded however many prefixes
  // are open: beyond max_open_objects per shard, or max_open_objects_total across shards, the
  // shard publishes its own least recently written object first (never another shard's: no
  // lock order to keep). A shard without open objects always gets one, so the total stays below
  // max_open_objects_total + the number of shards.
  std::string reserveSlot(ShardState& st) {
    for (;;) {
      if (st.open.size() < settings_.maxOpenObjects) {
        auto n = openTotal_.load();
        if (st.open.empty() || n < settings_.maxOpenObjectsTotal) {
          if (openTotal_.compare_exchange_weak(n, n + 1)) return "";
          continue;
        }
      }
      if (auto why = publish(st, leastRecentlyWritten(st)); !why.empty()) return why;
    }
  }

  // Every removal from ShardState::open goes through these two (they keep openTotal_).
  void eraseOpen(ShardState& st, OpenIt it) {
    st.open.erase(it);
    openTotal_.fetch_sub(1);
  }
  void clearOpen(ShardState& st) {
    openTotal_.fetch_sub(st.open.size());
    st.open.clear();
  }

  OpenIt leastRecentlyWritten(ShardState& st) {
    return std::min_element(st.open.begin(), st.open.end(), [](const auto& a, const auto& b) {
      return a.second.lastWrite < b.second.lastWrite;
    });
  }

  // intent (fsynced) → finished temp file → rename → directory fsync → done. A failure before
  // the rename loses the object (see lose()); after it, the object counts as published.
  std::string publish(ShardState& st, OpenIt it) {
    OpenObject& o = it->second;
    const std::string path = settings_.destinationPath + "/" + o.key;
    std::string why = o.writer->finish();
    if (why.empty()) why = makeDirectories(dirName(path));
    ManifestEntry e;
    e.key = o.key;
    e.offsets = o.offsets;
    e.records = o.records;
    e.bytes = o.bytes;
    e.firstSequenceNumber = o.firstSequenceNumber;
    e.error = o.error;
    if (why.empty()) why = st.manifest->appendIntent(e);
    if (!why.empty()) {
      lose(st, it, why);
      return why;
    }
    if (::rename(o.writer->tempPath().c_str(), path.c_str()) != 0) {
      why = "rename to " + path + ": " + std::strerror(errno);
      (void)st.manifest->appendAbort(o.key);
      lose(st, it, why);
      return why;
    }
    o.writer->renamed();
    if (auto w = fsyncDirectory(dirName(path)); !w.empty())
      spdlog::warn("archive {}: {} (object {} stays published)", context_.mappingName, w, o.key);
    if (auto w = st.manifest->appendDone(o.key); !w.empty())
      spdlog::warn("archive {}: {} (the next start settles it)", context_.mappingName, w);
    spdlog::debug("archive {}: published {} ({} records of {})", context_.mappingName, o.key,
                  o.records, st.shardId);
    (o.error ? metrics_.errorObjects : metrics_.objects)->Increment();
    metrics_.records->Increment(static_cast<double>(o.records));
    metrics_.rawBytes->Increment(static_cast<double>(o.bytes));
    metrics_.compressedBytes->Increment(static_cast<double>(o.writer->compressedBytes()));
    st.published.add(o.offsets);
    st.buffered.subtract(o.offsets);
    eraseOpen(st, it);
    return "";
  }

  std::string publishAll(ShardState& st) {
    while (!st.open.empty()) {
      if (auto why = publish(st, st.open.begin()); !why.empty()) return why;
    }
    return "";
  }

  // An object lost to an I/O error. Its records of this batch are retried; those of earlier
  // batches were reported delivered, so the shard's durable offset stays pinned at the object's
  // first offset: they come back after a restart or rebalance (and the manifest keeps them
  // from being written twice).
  void lose(ShardState& st, OpenIt it, const std::string& why) {
    metrics_.failures->Increment();
    const auto first = it->second.offsets.first();
    if (first && (!st.pinned || *first < *st.pinned)) st.pinned = *first;
    spdlog::error("archive {}: {}: object {} dropped: {}; checkpoint held at offset {}",
                  context_.mappingName, st.shardId, it->second.key, why,
                  st.pinned ? std::to_string(*st.pinned) : std::string("-"));
    st.buffered.subtract(it->second.offsets);
    eraseOpen(st, it);
  }

  runtime::DeliveryResult fail(ShardState& st, const std::string& why) {
    updateDurable(st);
    return runtime::DeliveryResult::retryLater("archive handler: " + why);
  }

  void updateDurable(ShardState& st) {
    std::optional<std::int64_t> d = st.pinned;
    for (const auto& [_, o] : st.open) {
      if (auto f = o.offsets.first(); f && (!d || *f < *d)) d = *f;
    }
    st.durable.store(d ? *d : -1);
  }

  // kbridge_archive_*{mapping, stream}: what this handler published (the dashboard's archive
  // panels). Without a process registry (tests) the handler keeps its own.
  void registerMetrics(const runtime::HandlerContext& context) {
    ops::MetricsRegistry* registry = context.metrics;
    if (!registry) {
      if (!ownRegistry_) ownRegistry_ = std::make_unique<ops::MetricsRegistry>();
      registry = ownRegistry_.get();
    }
    const prometheus::Labels labels{{"mapping", context.mappingName},
                                    {"stream", context.streamName}};
    auto with = [&labels](const char* name, const char* value) {
      auto l = labels;
      l.emplace(name, value);
      return l;
    };
    auto& objects = registry->counter(
        "kbridge_archive_objects_total",
        "Objects published by archive handlers; prefix=\"error\" for error-output objects.");
    metrics_.objects = &objects.Add(with("prefix", "data"));
    metrics_.errorObjects = &objects.Add(with("prefix", "error"));
    metrics_.records = &registry
                            ->counter("kbridge_archive_records_total",
                                      "Records in the objects published by archive handlers.")
                            .Add(labels);
    auto& bytes = registry->counter(
        "kbridge_archive_bytes_total",
        "Bytes of the objects published by archive handlers: stage=\"raw\" before compression "
        "(delimiters included), stage=\"stored\" as written.");
    metrics_.rawBytes = &bytes.Add(with("stage", "raw"));
    metrics_.compressedBytes = &bytes.Add(with("stage", "stored"));
    metrics_.failures =
        &registry
             ->counter("kbridge_archive_publish_failures_total",
                       "Objects archive handlers lost to an I/O error before publication (their "
                       "records are delivered again).")
             .Add(labels);
  }

  void intervalLoop() {
    std::unique_lock lock(stopMutex_);
    while (!stop_) {
      stopCv_.wait_for(lock, kTick, [this] { return stop_; });
      if (stop_) break;
      lock.unlock();
      publishDue();
      lock.lock();
    }
  }

  const ArchiveSettings settings_;
  const std::int64_t timeResolutionMs_ = settings_.prefix.timeResolutionMs();
  const bool intervalThread_;
  runtime::HandlerContext context_;
  SystemClock systemClock_;
  const Clock* clock_ = &systemClock_;
  std::string stateDir_;
  std::unique_ptr<ops::MetricsRegistry> ownRegistry_;
  struct {
    prometheus::Counter* objects = nullptr;
    prometheus::Counter* errorObjects = nullptr;
    prometheus::Counter* records = nullptr;
    prometheus::Counter* rawBytes = nullptr;
    prometheus::Counter* compressedBytes = nullptr;
    prometheus::Counter* failures = nullptr;
  } metrics_;

  std::mutex shardsMutex_;
  std::map<std::int32_t, std::shared_ptr<ShardState>> shards_;
  std::atomic<std::size_t> openTotal_{0};  // open objects of every shard

  std::mutex stopMutex_;
  std::condition_variable stopCv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<runtime::Handler> makeArchiveHandler(ArchiveSettings settings,
                                                     bool intervalThread) {
  return std::make_unique<ArchiveHandler>(std::move(settings), intervalThread);
}

void publishDue(runtime::Handler& archiveHandler) {
  static_cast<ArchiveHandler&>(archiveHandler).publishDue();
}

}  // namespace archive

std::unique_ptr<runtime::Handler> buildArchiveHandler(const nlohmann::json& settings,
                                                      const std::string& path,
                                                      std::vector<std::string>& errors) {
  auto s = archive::parseArchiveSettings(settings, path, errors);
  if (!s) return nullptr;
  return archive::makeArchiveHandler(std::move(*s), /*intervalThread=*/true);
}

}  // namespace kbridge::handlers
