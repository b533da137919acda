#pragma once
// Per-shard traffic, the seed's shard-level metrics (Kinesis's IncomingRecords/IncomingBytes and
// OutgoingRecords/OutgoingBytes):
//
//   kbridge_shard_incoming_records_total{stream,shard}   records Kafka acknowledged
//   kbridge_shard_incoming_bytes_total{stream,shard}     their data bytes
//   kbridge_shard_outgoing_records_total{stream,shard}   records GetRecords returned
//   kbridge_shard_outgoing_bytes_total{stream,shard}     their data bytes
//
// Counted by decorators around the process's RecordProducer and Fetcher, so every writer
// (PutRecord, PutRecords, a mapping's on_failure stream) and every GetRecords is counted at one
// point without touching the actions. Only topics of streams count (a resolver decides, from the
// catalog); a plain on_failure topic is no stream's and is not counted. "Bytes" are the
// records' data bytes (not the partition keys), as the metrics handler's DataSizeBytes.
//
// Threading: thread-safe. Counts are resolved once per (topic, partition) and cached; the hot
// path takes a shared lock and one hash lookup per batch (per record when a batch spans topics),
// then relaxed atomic increments.
//
// Deleted streams: each scrape first drops the series of topics that are no stream's any more (the
// resolver says so), so a process that sees many streams come and go (a test suite creating one
// per test) does not render, or keep, their series for ever. A delivery report in flight holds its
// shard's counts by shared_ptr, so dropping them never frees what it is about to increment. A
// stream re-created under the same name starts its series from zero, as a restarted process would.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "kafka/fetcher.h"
#include "kafka/producer.h"
#include "ops/metrics.h"

namespace kbridge::streams {
class Catalog;
}

namespace kbridge::ops {

// The name of the stream whose topic `topic` is, or nullopt.
using StreamOfTopic = std::function<std::optional<std::string>(const std::string& topic)>;

// The resolver of a process: a stream's topic is `topicPrefix` + its name, as the catalog says, or
// for an adopted topic (streams.adopt) the one its catalog record names.
StreamOfTopic streamOfTopicIn(const streams::Catalog& catalog, std::string topicPrefix);

class ShardTraffic {
 public:
  // One direction of one shard.
  struct Counts {
    std::atomic<std::uint64_t> records{0};
    std::atomic<std::uint64_t> bytes{0};
    void add(std::uint64_t n, std::uint64_t dataBytes) {
      records.fetch_add(n, std::memory_order_relaxed);
      bytes.fetch_add(dataBytes, std::memory_order_relaxed);
    }
  };
  enum class Direction { kIncoming, kOutgoing };

  // Registers the four families' collector with `registry`; `streamOf` is asked once per
  // (topic, partition) that is a stream's (again each time for one that is not: rare, e.g. a plain
  // on_failure topic), and at each scrape once per topic seen.
  ShardTraffic(MetricsRegistry& registry, StreamOfTopic streamOf);
  ~ShardTraffic();
  ShardTraffic(const ShardTraffic&) = delete;
  ShardTraffic& operator=(const ShardTraffic&) = delete;

  // The counts of (topic, partition), nullptr when the topic is no stream's.
  std::shared_ptr<Counts> counts(Direction direction, const std::string& topic,
                                 std::int32_t partition);

 private:
  class Collector;
  std::shared_ptr<Collector> collector_;  // the registry holds it weakly
};

// A producer that forwards to `inner` and counts its acknowledged records as incoming. `inner` and
// `traffic` must outlive the result.
std::unique_ptr<kafka::RecordProducer> countIncoming(kafka::RecordProducer& inner,
                                                     ShardTraffic& traffic);
// A fetcher that forwards to `inner` and counts what it returns as outgoing: give it to the
// Kinesis actions only (GetRecords), not to readers that are no consumer (the lag monitor).
std::unique_ptr<kafka::Fetcher> countOutgoing(kafka::Fetcher& inner, ShardTraffic& traffic);

}  // namespace kbridge::ops
