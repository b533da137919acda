#include "streams/catalog.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

namespace kbridge::streams {

namespace {

// The catalog key of the cluster record; stream names cannot contain '#'.
constexpr const char* kClusterKey = "#cluster";

std::string randomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : raw) {
    hex.push_back(digits[c >> 4]);
    hex.push_back(digits[c & 15]);
  }
  return hex;
}

}  // namespace

using kafka::KafkaStatus;

Catalog::Catalog(std::unique_ptr<kafka::CatalogLog> log, std::chrono::milliseconds timeout)
    : log_(std::move(log)), timeout_(timeout) {}

Catalog::~Catalog() {
  stop();
}

KafkaStatus Catalog::start() {
  if (auto s = log_->ensureTopic(); !s) return s;
  log_->startReading([this](const kafka::CatalogRecord& r) { apply(r); },
                     [this](std::int64_t p) { advance(p); });
  started_ = true;
  if (auto synced = sync(); !synced) return synced;
  if (!iteratorSecret().empty()) return {};
  nlohmann::json cluster{{"v", 1}, {"kind", "cluster"}, {"iteratorSecret", randomHex(32)}};
  auto offset = log_->append(kClusterKey, cluster.dump());
  if (!offset) return fail(offset.error());
  return sync();
}

std::string Catalog::iteratorSecret() const {
  std::shared_lock lock(mapMutex_);
  return iteratorSecret_;
}

void Catalog::stop() {
  if (started_) log_->stop();
  started_ = false;
}

std::optional<StreamMeta> Catalog::find(const std::string& name) const {
  std::shared_lock lock(mapMutex_);
  auto it = streams_.find(name);
  if (it == streams_.end()) return std::nullopt;
  return it->second;
}

std::vector<StreamMeta> Catalog::list() const {
  std::shared_lock lock(mapMutex_);
  std::vector<StreamMeta> out;
  out.reserve(streams_.size());
  for (const auto& [_, meta] : streams_) out.push_back(meta);
  return out;
}

std::optional<std::string> Catalog::streamOfTopic(const std::string& topic) const {
  std::shared_lock lock(mapMutex_);
  for (const auto& [name, meta] : streams_) {
    if (meta.topic == topic) return name;
  }
  return std::nullopt;
}

KafkaStatus Catalog::sync() {
  auto end = log_->endOffset();
  if (!end) return fail(end.error());
  return waitApplied(*end);
}

KafkaStatus Catalog::put(const StreamMeta& meta) {
  auto offset = log_->append(meta.name, toCatalogJson(meta).dump());
  if (!offset) return fail(offset.error());
  return waitApplied(*offset + 1);
}

std::optional<GroupControl> Catalog::groupControl(const std::string& group) const {
  std::shared_lock lock(mapMutex_);
  auto it = groupControls_.find(group);
  if (it == groupControls_.end()) return std::nullopt;
  return it->second;
}

KafkaStatus Catalog::putGroupControl(const GroupControl& control) {
  auto offset = log_->append(groupControlKey(control.group), encodeGroupControl(control));
  if (!offset) return fail(offset.error());
  return waitApplied(*offset + 1);
}

KafkaStatus Catalog::erase(const std::string& name) {
  auto offset = log_->append(name, std::nullopt);
  if (!offset) return fail(offset.error());
  return waitApplied(*offset + 1);
}

void Catalog::apply(const kafka::CatalogRecord& record) {
  std::unique_lock lock(mapMutex_);
  if (auto group = groupOfControlKey(record.key)) {
    std::optional<GroupControl> control;
    if (record.value) control = decodeGroupControl(*group, *record.value);
    if (control) {
      groupControls_[*group] = std::move(*control);
    } else {
      if (record.value) {
        spdlog::warn("catalog: record at offset {} (key {}) is not a valid group control; ignored",
                     record.offset, record.key);
      }
      groupControls_.erase(*group);
    }
    return;
  }
  if (!record.value) {
    auto it = streams_.find(record.key);
    if (it == streams_.end()) return;
    StreamMeta removed = std::move(it->second);
    streams_.erase(it);
    lock.unlock();
    if (onStreamRemoved_) onStreamRemoved_(removed);
    return;
  }
  nlohmann::json doc = nlohmann::json::parse(*record.value, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    spdlog::warn("catalog: record at offset {} (key {}) is not JSON; ignored", record.offset,
                 record.key);
    return;
  }
  // A "kind" of another type must not throw on the reader thread.
  const auto kindField = doc.find("kind");
  const std::string kind =
      kindField != doc.end() && kindField->is_string() ? kindField->get<std::string>() : "";
  if (record.key == kClusterKey && kind == "cluster") {
    iteratorSecret_ = doc.value("iteratorSecret", "");
    return;
  }
  if (kind != "stream") return;  // other kinds belong to later versions
  auto meta = fromCatalogJson(doc);
  if (!meta || meta->name != record.key) {
    spdlog::warn("catalog: record at offset {} (key {}) is not a valid stream; ignored",
                 record.offset, record.key);
    return;
  }
  streams_[record.key] = std::move(*meta);
}

void Catalog::advance(std::int64_t position) {
  {
    std::lock_guard lock(positionMutex_);
    if (position <= position_) return;
    position_ = position;
  }
  positionChanged_.notify_all();
}

KafkaStatus Catalog::waitApplied(std::int64_t offset) {
  std::unique_lock lock(positionMutex_);
  if (!positionChanged_.wait_for(lock, timeout_, [&] { return position_ >= offset; })) {
    return fail(kafka::KafkaError{kafka::KafkaErrorKind::kTimedOut, 0,
                                  "catalog reader did not reach offset " + std::to_string(offset)});
  }
  return {};
}

}  // namespace kbridge::streams
