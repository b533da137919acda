#pragma once
// Topic administration: the seam between stream management and Kafka. Calls block until the
// cluster answered or the configured request timeout passed, so they run on the control-plane
// executor, never on an HTTP thread.

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "kafka/errors.h"

namespace kbridge::config {
struct KafkaConfig;
}

namespace kbridge::kafka {

using TopicConfigs = std::map<std::string, std::string>;

struct TopicDescription {
  int partitions = 0;
  TopicConfigs dynamicConfigs;  // topic-level overrides (source DYNAMIC_TOPIC_CONFIG)
};

class KafkaAdmin {
 public:
  virtual ~KafkaAdmin() = default;
  virtual KafkaStatus createTopic(const std::string& topic, int partitions, int replicationFactor,
                                  const TopicConfigs& configs) = 0;
  virtual KafkaStatus deleteTopic(const std::string& topic) = 0;
  virtual KafkaResult<TopicDescription> describeTopic(const std::string& topic) = 0;
  // Sets the given topic-level configs, keeping the topic's other dynamic configs as they are.
  virtual KafkaStatus updateTopicConfigs(const std::string& topic, const TopicConfigs& changes) = 0;
};

// Waits until `topic` is served with `partitions` partitions (CreateTopics returns when the
// controller has the topic; brokers learn it a moment later), polling with back-off up to
// `timeoutMs`. Blocking.
KafkaStatus awaitTopic(KafkaAdmin& admin, const std::string& topic, int partitions, int timeoutMs);

// The librdkafka implementation. Thread-safe.
std::unique_ptr<KafkaAdmin> makeRdKafkaAdmin(const config::KafkaConfig& config);

}  // namespace kbridge::kafka
