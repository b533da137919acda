#include "ops/shard_traffic.h"

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <tuple>
#include <unordered_map>
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

class ShardTraffic::Collector final : public prometheus::Collectable {
 public:
  explicit Collector(StreamOfTopic streamOf) : streamOf_(std::move(streamOf)) {}

  std::shared_ptr<Counts> counts(Direction direction, const std::string& topic,
                                 std::int32_t partition) {
    {
      std::shared_lock lock(mutex_);
      if (auto t = topics_.find(topic); t != topics_.end()) {
        if (auto p = t->second.shards.find(partition); p != t->second.shards.end()) {
          return pick(p->second, direction);
        }
      }
    }
    if (partition < 0) return nullptr;
    const auto stream = streamOf_(topic);
    if (!stream) return nullptr;
    std::unique_lock lock(mutex_);
    auto& t = topics_[topic];
    if (t.stream != *stream) {  // new, or the topic now belongs to another stream
      t.stream = *stream;
      t.shards.clear();
    }
    auto& shard = t.shards[partition];
    if (!shard.incoming) {
      shard.incoming = std::make_shared<Counts>();
      shard.outgoing = std::make_shared<Counts>();
    }
    return pick(shard, direction);
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    dropGoneStreams();
    struct Row {
      const std::string* stream;
      std::int32_t partition;
      const Shard* shard;
    };
    std::shared_lock lock(mutex_);
    std::vector<Row> rows;
    for (const auto& [_, t] : topics_) {
      for (const auto& [partition, shard] : t.shards)
        rows.push_back({&t.stream, partition, &shard});
    }
    if (rows.empty()) return {};
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
      return std::tie(*a.stream, a.partition) < std::tie(*b.stream, b.partition);
    });
    std::vector<prometheus::MetricFamily> families;
    auto family = [&](const char* name, const char* help, auto value) {
      prometheus::MetricFamily f;
      f.name = name;
      f.help = help;
      f.type = prometheus::MetricType::Counter;
      for (const auto& row : rows) {
        prometheus::ClientMetric m;
        // In prometheus-cpp's order (labels sorted by name), as the families had before.
        m.label = {{"shard", streams::shardIdName(static_cast<std::uint32_t>(row.partition))},
                   {"stream", *row.stream}};
        m.counter.value = static_cast<double>(value(*row.shard));
        f.metric.push_back(std::move(m));
      }
      families.push_back(std::move(f));
    };
    family("kbridge_shard_incoming_records_total",
           "Records put into a shard and acknowledged by Kafka.",
           [](const Shard& s) { return s.incoming->records.load(std::memory_order_relaxed); });
    family("kbridge_shard_incoming_bytes_total",
           "Data bytes of the records put into a shard and acknowledged.",
           [](const Shard& s) { return s.incoming->bytes.load(std::memory_order_relaxed); });
    family("kbridge_shard_outgoing_records_total", "Records returned by GetRecords from a shard.",
           [](const Shard& s) { return s.outgoing->records.load(std::memory_order_relaxed); });
    family("kbridge_shard_outgoing_bytes_total",
           "Data bytes of the records returned by GetRecords from a shard.",
           [](const Shard& s) { return s.outgoing->bytes.load(std::memory_order_relaxed); });
    return families;
  }

 private:
  struct Shard {
    std::shared_ptr<Counts> incoming;
    std::shared_ptr<Counts> outgoing;
  };
  struct Topic {
    std::string stream;
    std::map<std::int32_t, Shard> shards;
  };

  static std::shared_ptr<Counts> pick(const Shard& s, Direction direction) {
    return direction == Direction::kIncoming ? s.incoming : s.outgoing;
  }

  // Forgets the topics whose stream is gone (deleted, or the topic is another stream's now). The
  // resolver runs without this lock held: it takes the catalog's.
  void dropGoneStreams() const {
    std::vector<std::pair<std::string, std::string>> seen;  // topic, stream
    {
      std::shared_lock lock(mutex_);
      for (const auto& [topic, t] : topics_) seen.emplace_back(topic, t.stream);
    }
    std::vector<std::pair<std::string, std::string>> gone;
    for (auto& [topic, stream] : seen) {
      if (streamOf_(topic) != stream) gone.emplace_back(std::move(topic), std::move(stream));
    }
    if (gone.empty()) return;
    std::unique_lock lock(mutex_);
    for (const auto& [topic, stream] : gone) {
      if (auto it = topics_.find(topic); it != topics_.end() && it->second.stream == stream) {
        topics_.erase(it);
      }
    }
  }

  StreamOfTopic streamOf_;
  mutable std::shared_mutex mutex_;  // guards topics_ (scrapes prune it)
  mutable std::unordered_map<std::string, Topic> topics_;
};

ShardTraffic::ShardTraffic(MetricsRegistry& registry, StreamOfTopic streamOf)
    : collector_(std::make_shared<Collector>(std::move(streamOf))) {
  registry.addCollectable(collector_);
}

ShardTraffic::~ShardTraffic() = default;

std::shared_ptr<ShardTraffic::Counts> ShardTraffic::counts(Direction direction,
                                                           const std::string& topic,
                                                           std::int32_t partition) {
  return collector_->counts(direction, topic, partition);
}

namespace {

class CountingProducer final : public kafka::RecordProducer {
 public:
  CountingProducer(kafka::RecordProducer& inner, ShardTraffic& traffic)
      : inner_(inner), traffic_(traffic) {}

  void produce(std::vector<kafka::OutgoingRecord> records, kafka::DeliveryCallback done) override {
    // What each record will count for once acknowledged; resolved now, while records are at hand.
    // `held` keeps each shard's counts alive until the report, even if a scrape drops its series.
    std::vector<std::shared_ptr<ShardTraffic::Counts>> held;
    std::vector<std::pair<ShardTraffic::Counts*, std::size_t>> counted;
    counted.reserve(records.size());
    const std::string* lastTopic = nullptr;
    std::int32_t lastPartition = 0;
    ShardTraffic::Counts* last = nullptr;
    for (const auto& r : records) {
      if (!lastTopic || r.partition != lastPartition || r.topic != *lastTopic) {
        auto counts = traffic_.counts(ShardTraffic::Direction::kIncoming, r.topic, r.partition);
        last = counts.get();
        if (counts) held.push_back(std::move(counts));
        lastTopic = &r.topic;
        lastPartition = r.partition;
      }
      counted.emplace_back(last, r.value.size());
    }
    inner_.produce(std::move(records),
                   [held = std::move(held), counted = std::move(counted),
                    done = std::move(done)](std::vector<kafka::DeliveryResult> results) {
                     for (std::size_t i = 0; i < results.size() && i < counted.size(); ++i) {
                       const auto& [counts, bytes] = counted[i];
                       if (counts && !results[i].error) counts->add(1, bytes);
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
      if (auto c = traffic_.counts(ShardTraffic::Direction::kOutgoing, topic, partition)) {
        std::size_t bytes = 0;
        for (const auto& r : result->records) bytes += r.value.size();
        c->add(result->records.size(), bytes);
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
