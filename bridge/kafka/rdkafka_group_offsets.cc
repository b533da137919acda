// GroupOffsets over librdkafka: the Admin API (ListConsumerGroupOffsets, DescribeConsumerGroups,
// ListConsumerGroups, AlterConsumerGroupOffsets) on one consumer handle, which also answers
// watermark and offsets-for-times queries and reads record timestamps by assigning partitions (it
// never subscribes, joins a group or commits). Admin calls each own a result queue; the timestamp
// probe is serialized by a mutex because an assignment belongs to the whole handle.

#include <chrono>
#include <mutex>

#include "kafka/group_offsets.h"
#include "kafka/rdkafka_handle.h"

namespace kbridge::kafka {
namespace {

constexpr int kProbeTimeoutMs = 5000;

KafkaError errorOf(const rd_kafka_error_t* e) {
  return makeKafkaError(rd_kafka_error_code(e), rd_kafka_error_string(e));
}

class RdKafkaGroupOffsets final : public GroupOffsets {
 public:
  explicit RdKafkaGroupOffsets(const config::KafkaConfig& config)
      : timeoutMs_(config.requestTimeoutMs),
        rk_(makeRdKafkaClient(RD_KAFKA_CONSUMER,
                              makeRdKafkaConf(config, {{"client.id", "kbridge-group-offsets"},
                                                       {"group.id", "kbridge-lag-probe"},
                                                       {"enable.auto.commit", "false"},
                                                       {"enable.auto.offset.store", "false"},
                                                       {"enable.partition.eof", "false"},
                                                       {"fetch.wait.max.ms", "10"}}))) {}

  ~RdKafkaGroupOffsets() override { rd_kafka_consumer_close(rk_.get()); }

  KafkaResult<OffsetMap> committed(const std::string& group, const std::string& topic) override {
    auto all = listOffsets(group);
    if (!all) return fail(all.error());
    auto it = all->find(topic);
    return it == all->end() ? OffsetMap{} : it->second;
  }

  KafkaResult<std::vector<std::string>> committedTopics(const std::string& group) override {
    auto all = listOffsets(group);
    if (!all) return fail(all.error());
    std::vector<std::string> topics;
    for (const auto& [topic, _] : *all) topics.push_back(topic);
    return topics;
  }

  KafkaResult<int> partitionCount(const std::string& topic) override {
    return queryPartitionCount(rk_.get(), topic, timeoutMs_);
  }

  KafkaResult<Watermarks> watermarks(const std::string& topic, std::int32_t partition) override {
    return queryWatermarks(rk_.get(), topic, partition, timeoutMs_);
  }

  KafkaResult<OffsetMap> timestampsAt(const std::string& topic, const OffsetMap& offsets) override {
    OffsetMap out;
    if (offsets.empty()) return out;
    std::lock_guard lock(probeMutex_);
    RdPartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (const auto& [p, o] : offsets) {
      rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = o;
    }
    if (auto e = rd_kafka_assign(rk_.get(), list.get())) return fail(makeKafkaError(e, ""));
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kProbeTimeoutMs);
    while (out.size() < offsets.size() && std::chrono::steady_clock::now() < deadline) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_.get(), 100);
      if (!m) continue;
      if (!m->err && offsets.count(m->partition) && !out.count(m->partition) &&
          m->offset >= offsets.at(m->partition)) {
        out[m->partition] = rd_kafka_message_timestamp(m, nullptr);
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_assign(rk_.get(), nullptr);
    return out;
  }

  KafkaResult<std::int64_t> offsetForTime(const std::string& topic, std::int32_t partition,
                                          std::int64_t timestampMs) override {
    return queryOffsetForTime(rk_.get(), topic, partition, timestampMs, timeoutMs_);
  }

  KafkaResult<GroupMembership> membership(const std::string& group) override {
    const char* groups[] = {group.c_str()};
    auto opts = makeAdminOptions(rk_.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeoutMs_);
    return callAdmin(
        rk_.get(), timeoutMs_,
        [&](rd_kafka_queue_t* q) {
          rd_kafka_DescribeConsumerGroups(rk_.get(), groups, 1, opts.get(), q);
        },
        [&](rd_kafka_event_t* ev) -> KafkaResult<GroupMembership> {
          size_t n = 0;
          const rd_kafka_ConsumerGroupDescription_t** ds =
              rd_kafka_DescribeConsumerGroups_result_groups(
                  rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
          if (n < 1) return fail(makeKafkaError(RD_KAFKA_RESP_ERR__BAD_MSG, "no group described"));
          if (const rd_kafka_error_t* e = rd_kafka_ConsumerGroupDescription_error(ds[0])) {
            return fail(errorOf(e));
          }
          GroupMembership m;
          m.state =
              rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(ds[0]));
          m.members = static_cast<int>(rd_kafka_ConsumerGroupDescription_member_count(ds[0]));
          return m;
        });
  }

  KafkaResult<std::vector<std::string>> listGroups() override {
    auto opts = makeAdminOptions(rk_.get(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeoutMs_);
    return callAdmin(
        rk_.get(), timeoutMs_,
        [&](rd_kafka_queue_t* q) { rd_kafka_ListConsumerGroups(rk_.get(), opts.get(), q); },
        [&](rd_kafka_event_t* ev) -> KafkaResult<std::vector<std::string>> {
          size_t n = 0;
          const rd_kafka_ConsumerGroupListing_t** valid = rd_kafka_ListConsumerGroups_result_valid(
              rd_kafka_event_ListConsumerGroups_result(ev), &n);
          std::vector<std::string> out;
          for (size_t i = 0; i < n; ++i) {
            out.emplace_back(rd_kafka_ConsumerGroupListing_group_id(valid[i]));
          }
          return out;
        });
  }

  KafkaStatus alterCommitted(const std::string& group, const std::string& topic,
                             const OffsetMap& offsets) override {
    RdPartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (const auto& [p, o] : offsets) {
      rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = o;
    }
    rd_kafka_AlterConsumerGroupOffsets_t* alter =
        rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), list.get());
    std::unique_ptr<rd_kafka_AlterConsumerGroupOffsets_t,
                    void (*)(rd_kafka_AlterConsumerGroupOffsets_t*)>
        owner(alter, rd_kafka_AlterConsumerGroupOffsets_destroy);
    auto opts =
        makeAdminOptions(rk_.get(), RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, timeoutMs_);
    return callAdmin(
        rk_.get(), timeoutMs_,
        [&](rd_kafka_queue_t* q) {
          rd_kafka_AlterConsumerGroupOffsets(rk_.get(), &alter, 1, opts.get(), q);
        },
        [&](rd_kafka_event_t* ev) -> KafkaStatus {
          size_t n = 0;
          const rd_kafka_group_result_t** gs = rd_kafka_AlterConsumerGroupOffsets_result_groups(
              rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
          for (size_t i = 0; i < n; ++i) {
            if (const rd_kafka_error_t* e = rd_kafka_group_result_error(gs[i])) {
              return fail(errorOf(e));
            }
            const rd_kafka_topic_partition_list_t* ps = rd_kafka_group_result_partitions(gs[i]);
            for (int j = 0; ps && j < ps->cnt; ++j) {
              if (ps->elems[j].err) return fail(makeKafkaError(ps->elems[j].err, ""));
            }
          }
          return {};
        });
  }

 private:
  using TopicOffsets = std::map<std::string, OffsetMap>;

  // All of a group's committed offsets, by topic.
  KafkaResult<TopicOffsets> listOffsets(const std::string& group) {
    rd_kafka_ListConsumerGroupOffsets_t* list =
        rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), nullptr);
    std::unique_ptr<rd_kafka_ListConsumerGroupOffsets_t,
                    void (*)(rd_kafka_ListConsumerGroupOffsets_t*)>
        owner(list, rd_kafka_ListConsumerGroupOffsets_destroy);
    auto opts = makeAdminOptions(rk_.get(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeoutMs_);
    return callAdmin(
        rk_.get(), timeoutMs_,
        [&](rd_kafka_queue_t* q) {
          rd_kafka_ListConsumerGroupOffsets(rk_.get(), &list, 1, opts.get(), q);
        },
        [&](rd_kafka_event_t* ev) -> KafkaResult<TopicOffsets> {
          size_t n = 0;
          const rd_kafka_group_result_t** gs = rd_kafka_ListConsumerGroupOffsets_result_groups(
              rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
          TopicOffsets out;
          for (size_t i = 0; i < n; ++i) {
            if (const rd_kafka_error_t* e = rd_kafka_group_result_error(gs[i])) {
              return fail(errorOf(e));
            }
            const rd_kafka_topic_partition_list_t* ps = rd_kafka_group_result_partitions(gs[i]);
            for (int j = 0; ps && j < ps->cnt; ++j) {
              const auto& p = ps->elems[j];
              if (p.err || p.offset < 0) continue;  // no commit for this partition
              out[p.topic][p.partition] = p.offset;
            }
          }
          return out;
        });
  }

  int timeoutMs_;
  RdKafkaPtr rk_;
  std::mutex probeMutex_;
};

}  // namespace

std::unique_ptr<GroupOffsets> makeRdKafkaGroupOffsets(const config::KafkaConfig& config) {
  return std::make_unique<RdKafkaGroupOffsets>(config);
}

}  // namespace kbridge::kafka
