#include "ops/shard_traffic.h"

#include <mutex>
#include <utility>
#include <vector>

#include "streams/catalog.h"
#include "streams/stream_meta.h"

namespace kbridge::ops {

StreamOfTopic streamOfTopicIn(const streams::Catalog& catalog, std::string topicPrefix) {
  return [&catalog,
          prefix = std::move(topicPrefix)](const std::string& topic) -> std::optional<std::string> {
    if (topic.size() > prefix.size() && topic.compare(0, prefix.size(), prefix) == 0) {
      std::string name = topic.substr(prefix.size());
      if (auto meta = catalog.find(name); meta && meta->topic == topic) return name;
    }
    return catalog.streamOfTopic(topic);  // a topic adopted under another name (streams.adopt)
  };
}

ShardTraffic::ShardTraffic(MetricsRegistry& registry, StreamOfTopic streamOf)
    : inRecords_(registry.counter("kbridge_shard_incoming_records_total",
                                  "Records put into a shard and acknowledged by Kafka.")),
      inBytes_(registry.counter("kbridge_shard_incoming_bytes_total",
                                "Data bytes of the records put into a shard and acknowledged.")),
      outRecords_(registry.counter("kbridge_shard_outgoing_records_total",
                                   "Records returned by GetRecords from a shard.")),
      outBytes_(registry.counter("kbridge_shard_outgoing_bytes_total",
                                 "Data bytes of the records returned by GetRecords from a shard.")),
      streamOf_(std::move(streamOf)) {}

const ShardTraffic::Counters* ShardTraffic::counters(Direction direction, const std::string& topic,
                                                     std::int32_t partition) {
  auto pick = [direction](const Shard& s) {
    return direction == Direction::kIncoming ? &s.incoming : &s.outgoing;
  };
  {
    std::shared_lock lock(mutex_);
    if (auto t = shards_.find(topic); t != shards_.end()) {
      if (auto p = t->second.find(partition); p != t->second.end()) return pick(p->second);
    }
  }
  if (partition < 0) return nullptr;
  const auto stream = streamOf_(topic);
  if (!stream) return nullptr;
  std::unique_lock lock(mutex_);
  auto& shard = shards_[topic][partition];
  if (!shard.incoming.records) {
    const prometheus::Labels labels{
        {"stream", *stream},
        {"shard", streams::shardIdName(static_cast<std::uint32_t>(partition))}};
    shard.incoming = {&inRecords_.Add(labels), &inBytes_.Add(labels)};
    shard.outgoing = {&outRecords_.Add(labels), &outBytes_.Add(labels)};
  }
  return pick(shard);
}

namespace {

class CountingProducer final : public kafka::RecordProducer {
 public:
  CountingProducer(kafka::RecordProducer& inner, ShardTraffic& traffic)
      : inner_(inner), traffic_(traffic) {}

  void produce(std::vector<kafka::OutgoingRecord> records, kafka::DeliveryCallback done) override {
    // What each record will count for once acknowledged; resolved now, while records are at hand.
    std::vector<std::pair<const ShardTraffic::Counters*, std::size_t>> counted;
    counted.reserve(records.size());
    const std::string* lastTopic = nullptr;
    std::int32_t lastPartition = 0;
    const ShardTraffic::Counters* last = nullptr;
    for (const auto& r : records) {
      if (!lastTopic || r.partition != lastPartition || r.topic != *lastTopic) {
        last = traffic_.counters(ShardTraffic::Direction::kIncoming, r.topic, r.partition);
        lastTopic = &r.topic;
        lastPartition = r.partition;
      }
      counted.emplace_back(last, r.value.size());
    }
    inner_.produce(std::move(records), [counted = std::move(counted), done = std::move(done)](
                                           std::vector<kafka::DeliveryResult> results) {
      for (std::size_t i = 0; i < results.size() && i < counted.size(); ++i) {
        const auto& [counters, bytes] = counted[i];
        if (!counters || results[i].error) continue;
        counters->records->Increment();
        counters->bytes->Increment(static_cast<double>(bytes));
      }
      done(std::move(results));
    });
  }
  int queueDepth() const override { return inner_.queueDepth(); }
  void flush(std::chrono::milliseconds timeout) override { inner_.flush(timeout); }

 private:
  kafka::RecordProducer& inner_;
  ShardTraffic& traffic_;
};

class CountingFetcher final : public kafka::Fetcher {
 public:
  CountingFetcher(kafka::Fetcher& inner, ShardTraffic& traffic)
      : inner_(inner), traffic_(traffic) {}

  kafka::KafkaResult<kafka::FetchResult> fetch(const std::string& topic, std::int32_t partition,
                                               std::int64_t offset, std::size_t maxRecords,
                                               std::size_t maxBytes) override {
    auto result = inner_.fetch(topic, partition, offset, maxRecords, maxBytes);
    if (result && !result->records.empty()) {
      if (auto* c = traffic_.counters(ShardTraffic::Direction::kOutgoing, topic, partition)) {
        std::size_t bytes = 0;
        for (const auto& r : result->records) bytes += r.value.size();
        c->records->Increment(static_cast<double>(result->records.size()));
        c->bytes->Increment(static_cast<double>(bytes));
      }
    }
    return result;
  }
  kafka::KafkaResult<kafka::Watermarks> watermarks(const std::string& topic,
                                                   std::int32_t partition) override {
    return inner_.watermarks(topic, partition);
  }
  void forgetTopic(const std::string& topic) override { inner_.forgetTopic(topic); }
  kafka::KafkaResult<std::int64_t> offsetForTime(const std::string& topic, std::int32_t partition,
                                                 std::int64_t timestampMs) override {
    return inner_.offsetForTime(topic, partition, timestampMs);
  }

 private:
  kafka::Fetcher& inner_;
  ShardTraffic& traffic_;
};

}  // namespace

std::unique_ptr<kafka::RecordProducer> countIncoming(kafka::RecordProducer& inner,
                                                     ShardTraffic& traffic) {
  return std::make_unique<CountingProducer>(inner, traffic);
}

std::unique_ptr<kafka::Fetcher> countOutgoing(kafka::Fetcher& inner, ShardTraffic& traffic) {
  return std::make_unique<CountingFetcher>(inner, traffic);
}

}  // namespace kbridge::ops
