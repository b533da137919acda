// KafkaAdmin over librdkafka's Admin API. Each call owns a private result queue and blocks on it up
// to the configured request timeout; the rd_kafka_t handle is shared and thread-safe.

#include <functional>

#include "kafka/admin.h"
#include "kafka/rdkafka_handle.h"

namespace kbridge::kafka {
namespace {

class RdKafkaAdmin final : public KafkaAdmin {
 public:
  explicit RdKafkaAdmin(const config::KafkaConfig& config)
      : timeoutMs_(config.requestTimeoutMs),
        rk_(makeRdKafkaClient(RD_KAFKA_PRODUCER,
                              makeRdKafkaConf(config, {{"client.id", "kbridge-admin"}}))) {}

  KafkaStatus createTopic(const std::string& topic, int partitions, int replicationFactor,
                          const TopicConfigs& configs) override {
    char err[512];
    rd_kafka_NewTopic_t* nt =
        rd_kafka_NewTopic_new(topic.c_str(), partitions, replicationFactor, err, sizeof err);
    if (!nt) return fail(makeKafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, err));
    std::unique_ptr<rd_kafka_NewTopic_t, void (*)(rd_kafka_NewTopic_t*)> owner(
        nt, rd_kafka_NewTopic_destroy);
    for (const auto& [k, v] : configs) rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str());
    auto opts = options(RD_KAFKA_ADMIN_OP_CREATETOPICS);
    return callAdmin(
        rk_.get(), timeoutMs_,
        [&](rd_kafka_queue_t* q) { rd_kafka_CreateTopics(rk_.get(), &nt, 1, opts.get(), q); },
        [&](rd_kafka_event_t* ev) -> KafkaStatus {
          size_t n = 0;
          const rd_kafka_topic_result_t** results =
              rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
          return topicResult(results, n);
        });
  }

  KafkaStatus deleteTopic(const std::string& topic) override {
    rd_kafka_DeleteTopic_t* dt = rd_kafka_DeleteTopic_new(topic.c_str());
    std::unique_ptr<rd_kafka_DeleteTopic_t, void (*)(rd_kafka_DeleteTopic_t*)> owner(
        dt, rd_kafka_DeleteTopic_destroy);
    auto opts = options(RD_KAFKA_ADMIN_OP_DELETETOPICS);
    return callAdmin(
        rk_.get(), timeoutMs_,
        [&](rd_kafka_queue_t* q) { rd_kafka_DeleteTopics(rk_.get(), &dt, 1, opts.get(), q); },
        [&](rd_kafka_event_t* ev) -> KafkaStatus {
          size_t n = 0;
          const rd_kafka_topic_result_t** results =
              rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
          return topicResult(results, n);
        });
  }

  KafkaResult<TopicDescription> describeTopic(const std::string& topic) override {
    TopicDescription description;
    auto partitions = partitionCount(topic);
    if (!partitions) return fail(partitions.error());
    description.partitions = *partitions;
    auto configs = dynamicConfigs(topic);
    if (!configs) return fail(configs.error());
    description.dynamicConfigs = std::move(*configs);
    return description;
  }

  KafkaStatus updateTopicConfigs(const std::string& topic, const TopicConfigs& changes) override {
    // librdkafka 2.0.2 has only the non-incremental AlterConfigs, which resets every topic config
    // it is not given: read the current overrides and send them back with the changes.
    auto current = dynamicConfigs(topic);
    if (!current) return fail(current.error());
    TopicConfigs merged = std::move(*current);
    for (const auto& [k, v] : changes) merged[k] = v;
    rd_kafka_ConfigResource_t* res =
        rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
    std::unique_ptr<rd_kafka_ConfigResource_t, void (*)(rd_kafka_ConfigResource_t*)> owner(
        res, rd_kafka_ConfigResource_destroy);
    for (const auto& [k, v] : merged) rd_kafka_ConfigResource_set_config(res, k.c_str(), v.c_str());
    auto opts = options(RD_KAFKA_ADMIN_OP_ALTERCONFIGS);
    return callAdmin(
        rk_.get(), timeoutMs_,
        [&](rd_kafka_queue_t* q) { rd_kafka_AlterConfigs(rk_.get(), &res, 1, opts.get(), q); },
        [&](rd_kafka_event_t* ev) -> KafkaStatus {
          size_t n = 0;
          const rd_kafka_ConfigResource_t** rs =
              rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), &n);
          for (size_t i = 0; i < n; ++i) {
            if (auto e = rd_kafka_ConfigResource_error(rs[i])) {
              const char* s = rd_kafka_ConfigResource_error_string(rs[i]);
              return fail(makeKafkaError(e, s ? s : ""));
            }
          }
          return {};
        });
  }

 private:
  RdAdminOptionsPtr options(rd_kafka_admin_op_t op) {
    auto opts = makeAdminOptions(rk_.get(), op, timeoutMs_);
    if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS) {
      // Wait until the controller has applied the change, so the topic is usable (or gone) when
      // the call returns.
      char err[256];
      rd_kafka_AdminOptions_set_operation_timeout(opts.get(), timeoutMs_, err, sizeof err);
    }
    return opts;
  }

  static KafkaStatus topicResult(const rd_kafka_topic_result_t** results, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (auto e = rd_kafka_topic_result_error(results[i])) {
        const char* s = rd_kafka_topic_result_error_string(results[i]);
        return fail(makeKafkaError(e, s ? s : ""));
      }
    }
    return {};
  }

  KafkaResult<int> partitionCount(const std::string& topic) {
    return queryPartitionCount(rk_.get(), topic, timeoutMs_);
  }

  KafkaResult<TopicConfigs> dynamicConfigs(const std::string& topic) {
    rd_kafka_ConfigResource_t* res =
        rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
    std::unique_ptr<rd_kafka_ConfigResource_t, void (*)(rd_kafka_ConfigResource_t*)> owner(
        res, rd_kafka_ConfigResource_destroy);
    auto opts = options(RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    return callAdmin(
        rk_.get(), timeoutMs_,
        [&](rd_kafka_queue_t* q) { rd_kafka_DescribeConfigs(rk_.get(), &res, 1, opts.get(), q); },
        [&](rd_kafka_event_t* ev) -> KafkaResult<TopicConfigs> {
          size_t n = 0;
          const rd_kafka_ConfigResource_t** rs = rd_kafka_DescribeConfigs_result_resources(
              rd_kafka_event_DescribeConfigs_result(ev), &n);
          TopicConfigs out;
          for (size_t i = 0; i < n; ++i) {
            if (auto e = rd_kafka_ConfigResource_error(rs[i])) {
              const char* s = rd_kafka_ConfigResource_error_string(rs[i]);
              return fail(makeKafkaError(e, s ? s : ""));
            }
            size_t cnt = 0;
            const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(rs[i], &cnt);
            for (size_t j = 0; j < cnt; ++j) {
              if (rd_kafka_ConfigEntry_source(entries[j]) !=
                  RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG) {
                continue;
              }
              const char* v = rd_kafka_ConfigEntry_value(entries[j]);
              out[rd_kafka_ConfigEntry_name(entries[j])] = v ? v : "";
            }
          }
          return out;
        });
  }

  int timeoutMs_;
  RdKafkaPtr rk_;
};

}  // namespace

std::unique_ptr<KafkaAdmin> makeRdKafkaAdmin(const config::KafkaConfig& config) {
  return std::make_unique<RdKafkaAdmin>(config);
}

}  // namespace kbridge::kafka
