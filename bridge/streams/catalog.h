#pragma once
// The stream catalog (DESIGN.md §3): every stream's metadata, tailed from the compacted catalog
// topic into memory. Writes go to Kafka first and return once this instance has read them back, so
// a client that gets a response sees its own change on any later request; sync() gives the same
// guarantee for changes made through other instances.
//
// Thread-safe. Reads (find, list) never block on Kafka; put/erase/sync block and so run on the
// control-plane executor.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "kafka/catalog_log.h"
#include "streams/group_control.h"
#include "streams/stream_meta.h"

namespace kbridge::streams {

class Catalog {
 public:
  Catalog(std::unique_ptr<kafka::CatalogLog> log, std::chrono::milliseconds timeout);
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // Ensures the topic, starts tailing and waits until the existing log has been read.
  kafka::KafkaStatus start();
  void stop();

  std::optional<StreamMeta> find(const std::string& name) const;
  // All streams, ordered by name.
  std::vector<StreamMeta> list() const;
  // The name of the stream whose topic is `topic` (an adopted topic's name may differ from its
  // stream's); copies nothing else.
  std::optional<std::string> streamOfTopic(const std::string& topic) const;

  // Waits until everything appended to the log before the call has been applied here.
  kafka::KafkaStatus sync();
  // Stores `meta` under its name and waits until it is applied here.
  kafka::KafkaStatus put(const StreamMeta& meta);
  // Removes a stream (tombstone) and waits until applied.
  kafka::KafkaStatus erase(const std::string& name);

  // Called (on the catalog reader thread) with each stream that disappears from the catalog,
  // whichever instance deleted it. Set before start().
  void onStreamRemoved(std::function<void(const StreamMeta&)> listener) {
    onStreamRemoved_ = std::move(listener);
  }

  // The cluster-wide secret that authenticates shard iterators (created by the first instance that
  // finds none; the catalog's last record for it wins, so all instances converge on one).
  std::string iteratorSecret() const;

  // The last control record of consumer group `group` (streams/group_control.h), if any. Never
  // blocks; mapping workers read it on every poll.
  std::optional<GroupControl> groupControl(const std::string& group) const;
  // Stores `control` under its group's key and waits until it is applied here.
  kafka::KafkaStatus putGroupControl(const GroupControl& control);

  // Serializes read-modify-write sequences of this instance's control plane.
  std::mutex& writeMutex() { return writeMutex_; }

 private:
  void apply(const kafka::CatalogRecord& record);
  void advance(std::int64_t position);
  kafka::KafkaStatus waitApplied(std::int64_t offset);

  std::unique_ptr<kafka::CatalogLog> log_;
  std::chrono::milliseconds timeout_;
  mutable std::shared_mutex mapMutex_;
  std::map<std::string, StreamMeta> streams_;
  std::string iteratorSecret_;
  std::map<std::string, GroupControl> groupControls_;  // by group id
  std::function<void(const StreamMeta&)> onStreamRemoved_;
  std::mutex positionMutex_;
  std::condition_variable positionChanged_;
  std::int64_t position_ = 0;  // next offset to be applied
  std::mutex writeMutex_;
  bool started_ = false;
};

}  // namespace kbridge::streams
