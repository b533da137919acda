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
// Threading: thread-safe. Handles are resolved once per (topic, partition) and cached; the hot
// path takes a shared lock and one hash lookup per batch (per record when a batch spans topics).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

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
  struct Counters {
    prometheus::Counter* records = nullptr;
    prometheus::Counter* bytes = nullptr;
  };
  enum class Direction { kIncoming, kOutgoing };

  // `streamOf` is asked once per (topic, partition) that is a stream's (again each time for one
  // that is not: rare, e.g. a plain on_failure topic).
  ShardTraffic(MetricsRegistry& registry, StreamOfTopic streamOf);

  // The counters of (topic, partition), nullptr when the topic is no stream's. Stable pointers.
  const Counters* counters(Direction direction, const std::string& topic, std::int32_t partition);

 private:
  struct Shard {
    Counters incoming;
    Counters outgoing;
  };
  prometheus::Family<prometheus::Counter>& inRecords_;
  prometheus::Family<prometheus::Counter>& inBytes_;
  prometheus::Family<prometheus::Counter>& outRecords_;
  prometheus::Family<prometheus::Counter>& outBytes_;
  StreamOfTopic streamOf_;
  std::shared_mutex mutex_;  // guards shards_ (its nodes never move)
  std::unordered_map<std::string, std::map<std::int32_t, Shard>> shards_;
};

// A producer that forwards to `inner` and counts its acknowledged records as incoming. `inner` and
// `traffic` must outlive the result.
std::unique_ptr<kafka::RecordProducer> countIncoming(kafka::RecordProducer& inner,
                                                     ShardTraffic& traffic);
// A fetcher that forwards to `inner` and counts what it returns as outgoing: give it to the
// Kinesis actions only (GetRecords), not to readers that are no consumer (the lag monitor).
std::unique_ptr<kafka::Fetcher> countOutgoing(kafka::Fetcher& inner, ShardTraffic& traffic);

}  // namespace kbridge::ops
