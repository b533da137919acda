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
    if (onRecord_) {
      onRecord_(record);
      onPosition_(record.offset + 1);
    }
    return record.offset;
  }

  kafka::KafkaResult<std::int64_t> endOffset() override {
    if (unavailable) return fail(kafka::KafkaError{kafka::KafkaErrorKind::kUnavailable, 0, "down"});
    return static_cast<std::int64_t>(records.size());
  }

  void startReading(std::function<void(const kafka::CatalogRecord&)> onRecord,
                    std::function<void(std::int64_t)> onPosition) override {
    onRecord_ = std::move(onRecord);
    onPosition_ = std::move(onPosition);
    for (const auto& r : records) onRecord_(r);
    onPosition_(static_cast<std::int64_t>(records.size()));
  }

  void stop() override {}

  std::vector<kafka::CatalogRecord> records;
  bool unavailable = false;

 private:
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
