#pragma once
// Test doubles for the Kafka seams: an in-memory catalog log (records are delivered to the reader
// synchronously, on the appending thread) and an in-memory topic admin with failure injection.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kafka/admin.h"
#include "kafka/catalog_log.h"

namespace kbridge::testing {

class InMemoryCatalogLog final : public kafka::CatalogLog {
 public:
  kafka::KafkaStatus ensureTopic() override { return {}; }

  kafka::KafkaResult<std::int64_t> append(const std::string& key,
                                          const std::optional<std::string>& value) override {
    if (unavailable) return fail(kafka::KafkaError{kafka::KafkaErrorKind::kUnavailable, 0, "down"});
    kafka::CatalogRecord record{key, value, static_cast<std::int64_t>(records.size())};
    records.push_back(record);
    if (!lagging) deliver();
    return record.offset;
  }

  // With `lagging`, a catalog sees appended records only once it asks for the end offset (a sync),
  // as an instance whose tail has not read another instance's writes yet.
  kafka::KafkaResult<std::int64_t> endOffset() override {
    if (unavailable) return fail(kafka::KafkaError{kafka::KafkaErrorKind::kUnavailable, 0, "down"});
    deliver();
    return static_cast<std::int64_t>(records.size());
  }

  void startReading(std::function<void(const kafka::CatalogRecord&)> onRecord,
                    std::function<void(std::int64_t)> onPosition) override {
    onRecord_ = std::move(onRecord);
    onPosition_ = std::move(onPosition);
    deliver();
  }

  void stop() override {}

  std::vector<kafka::CatalogRecord> records;
  bool unavailable = false;
  bool lagging = false;

 private:
  void deliver() {
    if (!onRecord_) return;
    for (; delivered_ < records.size(); ++delivered_) onRecord_(records[delivered_]);
    onPosition_(static_cast<std::int64_t>(records.size()));
  }

  size_t delivered_ = 0;
  std::function<void(const kafka::CatalogRecord&)> onRecord_;
  std::function<void(std::int64_t)> onPosition_;
};

class FakeKafkaAdmin final : public kafka::KafkaAdmin {
 public:
  struct Topic {
    int partitions = 0;
    kafka::TopicConfigs configs;
  };

  kafka::KafkaStatus createTopic(const std::string& topic, int partitions, int,
                                 const kafka::TopicConfigs& configs) override {
    if (auto e = injected()) return fail(*e);
    if (topics.count(topic)) {
      return fail(kafka::KafkaError{kafka::KafkaErrorKind::kTopicAlreadyExists, 36, "exists"});
    }
    topics[topic] = Topic{partitions, configs};
    return {};
  }
  kafka::KafkaStatus deleteTopic(const std::string& topic) override {
    if (auto e = injected()) return fail(*e);
    if (!topics.erase(topic)) {
      return fail(kafka::KafkaError{kafka::KafkaErrorKind::kUnknownTopic, 3, "unknown"});
    }
    return {};
  }
  kafka::KafkaResult<kafka::TopicDescription> describeTopic(const std::string& topic) override {
    if (auto e = injected()) return fail(*e);
    auto it = topics.find(topic);
    if (it == topics.end()) {
      return fail(kafka::KafkaError{kafka::KafkaErrorKind::kUnknownTopic, 3, "unknown"});
    }
    return kafka::TopicDescription{it->second.partitions, it->second.configs};
  }
  kafka::KafkaStatus updateTopicConfigs(const std::string& topic,
                                        const kafka::TopicConfigs& changes) override {
    if (auto e = injected()) return fail(*e);
    auto it = topics.find(topic);
    if (it == topics.end()) {
      return fail(kafka::KafkaError{kafka::KafkaErrorKind::kUnknownTopic, 3, "unknown"});
    }
    for (const auto& [k, v] : changes) it->second.configs[k] = v;
    return {};
  }

  std::map<std::string, Topic> topics;
  std::optional<kafka::KafkaError> failNext;  // returned once by the next call

 private:
  std::optional<kafka::KafkaError> injected() {
    auto e = failNext;
    failNext.reset();
    return e;
  }
};

}  // namespace kbridge::testing

#include <deque>

#include "kafka/fetcher.h"
#include "kafka/producer.h"

namespace kbridge::testing {

// Partitions in memory: the producer appends and acknowledges at once (or fails every record with
// `failWith`), the fetcher reads them back. Timestamps come from `nowMs`.
class InMemoryTopics final : public kafka::RecordProducer, public kafka::Fetcher {
 public:
  struct Stored {
    std::string key;
    std::string value;
    std::int64_t timestampMs;
  };

  void produce(std::vector<kafka::OutgoingRecord> records, kafka::DeliveryCallback done) override {
    std::vector<kafka::DeliveryResult> results;
    for (auto& r : records) {
      if (failWith) {
        results.push_back({*failWith, -1});
        continue;
      }
      auto& log = partitions[{r.topic, r.partition}];
      log.push_back({r.key, r.value, nowMs});
      results.push_back(
          {std::nullopt, low[{r.topic, r.partition}] + static_cast<std::int64_t>(log.size()) - 1});
    }
    done(std::move(results));
  }
  int queueDepth() const override { return 0; }
  void flush(std::chrono::milliseconds) override {}

  kafka::KafkaResult<kafka::FetchResult> fetch(const std::string& topic, std::int32_t partition,
                                               std::int64_t offset, std::size_t maxRecords,
                                               std::size_t) override {
    auto marks = *watermarks(topic, partition);
    kafka::FetchResult out;
    out.watermarks = marks;
    offset = std::max(offset, marks.low);
    auto& log = partitions[{topic, partition}];
    for (auto o = offset; o < marks.high && out.records.size() < maxRecords; ++o) {
      const auto& s = log[static_cast<size_t>(o - marks.low)];
      out.records.push_back({o, s.timestampMs, s.key, s.value});
    }
    out.nextOffset = out.records.empty() ? offset : out.records.back().offset + 1;
    return out;
  }
  kafka::KafkaResult<kafka::Watermarks> watermarks(const std::string& topic,
                                                   std::int32_t partition) override {
    const auto key = std::make_pair(topic, partition);
    const auto lo = low[key];
    return kafka::Watermarks{lo, lo + static_cast<std::int64_t>(partitions[key].size())};
  }
  kafka::KafkaResult<std::int64_t> offsetForTime(const std::string& topic, std::int32_t partition,
                                                 std::int64_t timestampMs) override {
    auto marks = *watermarks(topic, partition);
    auto& log = partitions[{topic, partition}];
    for (size_t i = 0; i < log.size(); ++i) {
      if (log[i].timestampMs >= timestampMs) return marks.low + static_cast<std::int64_t>(i);
    }
    return marks.high;
  }
  void forgetTopic(const std::string&) override {}
  // Drops the oldest `n` records of a partition, as retention does.
  void trim(const std::string& topic, std::int32_t partition, size_t n) {
    auto& log = partitions[{topic, partition}];
    for (size_t i = 0; i < n && !log.empty(); ++i) log.pop_front();
    low[{topic, partition}] += static_cast<std::int64_t>(n);
  }

  std::map<std::pair<std::string, std::int32_t>, std::deque<Stored>> partitions;
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> low;
  std::optional<kafka::KafkaError> failWith;
  std::int64_t nowMs = 0;
};

}  // namespace kbridge::testing
