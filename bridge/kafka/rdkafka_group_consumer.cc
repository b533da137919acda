// GroupConsumer over librdkafka's high-level consumer. Offsets are committed only by kbridge
// (enable.auto.commit=false, enable.auto.offset.store=false); the rebalance callback resolves the
// starting position of partitions the group has never committed and commits it at once.

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "kafka/group_consumer.h"
#include "kafka/rdkafka_handle.h"

namespace kbridge::kafka {
namespace {

constexpr int kMetadataTimeoutMs = 10000;
constexpr int kCommittedAttempts = 5;

class RdKafkaGroupConsumer final : public GroupConsumer {
 public:
  RdKafkaGroupConsumer(const config::KafkaConfig& config, const GroupConsumerOptions& options,
                       GroupRebalanceListener& listener)
      : options_(options), listener_(listener) {
    ConfOverrides overrides{{"group.id", options.groupId},
                            {"client.id", options.clientId},
                            {"enable.auto.commit", "false"},
                            {"enable.auto.offset.store", "false"},
                            // A committed offset that retention has passed: read what is left.
                            {"auto.offset.reset", "earliest"},
                            {"enable.partition.eof", "false"}};
    // Defaults a user may override through kafka.rdkafka: a dead member's shards move within
    // ~10 s instead of librdkafka's 45 s, and an idle shard is re-polled quickly.
    const std::pair<const char*, const char*> defaults[] = {{"session.timeout.ms", "10000"},
                                                            {"heartbeat.interval.ms", "3000"},
                                                            {"fetch.wait.max.ms", "100"}};
    for (const auto& [key, value] : defaults) {
      if (!config.rdkafka.count(key)) overrides.emplace_back(key, value);
    }
    auto conf = makeRdKafkaConf(config, overrides);
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_rebalance_cb(conf.get(), &RdKafkaGroupConsumer::rebalanceThunk);
    rk_ = makeRdKafkaClient(RD_KAFKA_CONSUMER, std::move(conf));
    rd_kafka_poll_set_consumer(rk_.get());
    RdPartitionListPtr topics(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(topics.get(), options_.topic.c_str(), RD_KAFKA_PARTITION_UA);
    if (auto err = rd_kafka_subscribe(rk_.get(), topics.get())) {
      throw std::runtime_error("cannot subscribe to " + options_.topic + ": " +
                               rd_kafka_err2str(err));
    }
  }

  ~RdKafkaGroupConsumer() override { close(); }

  KafkaResult<std::vector<ConsumedRecord>> poll(std::chrono::milliseconds timeout,
                                                std::size_t maxRecords) override {
    std::vector<ConsumedRecord> out;
    if (closed_) return out;
    int waitMs = static_cast<int>(timeout.count());
    while (out.size() < maxRecords) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_.get(), waitMs);
      if (!m) break;
      waitMs = 0;
      if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          spdlog::warn("group {}: consume error: {}", options_.groupId, rd_kafka_message_errstr(m));
        }
        rd_kafka_message_destroy(m);
        continue;
      }
      ConsumedRecord r;
      r.partition = m->partition;
      r.offset = m->offset;
      if (m->key) r.key.assign(static_cast<const char*>(m->key), m->key_len);
      if (m->payload) r.value.assign(static_cast<const char*>(m->payload), m->len);
      rd_kafka_timestamp_type_t type;
      r.timestampMs = rd_kafka_message_timestamp(m, &type);
      rd_kafka_message_destroy(m);
      out.push_back(std::move(r));
    }
    const bool full = out.size() == maxRecords;
    if (!full && lastPollFull_ &&
        std::chrono::steady_clock::now() - lastWake_ >= kFetchWakeInterval) {
      wakeFetchers(assigned());
    }
    lastPollFull_ = full;
    return out;
  }

  KafkaStatus commit(const PartitionOffsets& offsets) override {
    if (offsets.empty() || closed_) return {};
    RdPartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (const auto& [partition, offset] : offsets) {
      rd_kafka_topic_partition_list_add(list.get(), options_.topic.c_str(), partition)->offset =
          offset;
    }
    if (auto err = rd_kafka_commit(rk_.get(), list.get(), 0)) {
      return fail(makeKafkaError(err, rd_kafka_err2str(err)));
    }
    for (int i = 0; i < list->cnt; ++i) {
      if (auto err = list->elems[i].err) return fail(makeKafkaError(err, rd_kafka_err2str(err)));
    }
    return {};
  }

  void pause(const std::vector<std::int32_t>& partitions) override {
    if (auto list = listOf(partitions)) rd_kafka_pause_partitions(rk_.get(), list.get());
  }
  void resume(const std::vector<std::int32_t>& partitions) override {
    if (auto list = listOf(partitions)) {
      rd_kafka_resume_partitions(rk_.get(), list.get());
      wakeFetchers(partitions);
    }
  }

  void close() override {
    if (closed_ || !rk_) return;
    closing_ = true;
    rd_kafka_consumer_close(rk_.get());  // runs the revoke callback on this thread
    closed_ = true;
    rk_.reset();
  }

 private:
  static void rebalanceThunk(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    static_cast<RdKafkaGroupConsumer*>(opaque)->rebalance(rk, err, partitions);
  }

  void rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                 rd_kafka_topic_partition_list_t* partitions) {
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      PartitionOffsets starts = resolveStarts(rk, partitions);
      if (cooperative) {
        if (auto* e = rd_kafka_incremental_assign(rk, partitions)) rd_kafka_error_destroy(e);
      } else {
        rd_kafka_assign(rk, partitions);
      }
      listener_.onAssigned(starts);
      return;
    }
    std::vector<std::int32_t> revoked;
    for (int i = 0; i < partitions->cnt; ++i) revoked.push_back(partitions->elems[i].partition);
    listener_.onRevoked(revoked);
    if (cooperative) {
      if (auto* e = rd_kafka_incremental_unassign(rk, partitions)) rd_kafka_error_destroy(e);
    } else {
      rd_kafka_assign(rk, nullptr);
    }
  }

  // Fills `partitions` with the offsets to start at: the committed ones, else the configured
  // position resolved to a number and committed. When the committed offsets cannot be read,
  // librdkafka's stored-offset logic (auto.offset.reset=earliest) decides: a replay, never a skip.
  PartitionOffsets resolveStarts(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* partitions) {
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int attempt = 0; attempt < kCommittedAttempts && !closing_; ++attempt) {
      err = rd_kafka_committed(rk, partitions, kMetadataTimeoutMs);
      if (!err) break;
      spdlog::warn("group {}: cannot read committed offsets ({}); retrying", options_.groupId,
                   rd_kafka_err2str(err));
    }
    PartitionOffsets starts;
    if (err) {
      for (int i = 0; i < partitions->cnt; ++i) {
        partitions->elems[i].offset = RD_KAFKA_OFFSET_STORED;
        starts.emplace_back(partitions->elems[i].partition, -1);
      }
      return starts;
    }
    RdPartitionListPtr fresh(rd_kafka_topic_partition_list_new(partitions->cnt));
    for (int i = 0; i < partitions->cnt; ++i) {
      auto& p = partitions->elems[i];
      if (p.offset >= 0) continue;
      p.offset = startOffset(rk, p.partition);
      if (p.offset >= 0) {
        rd_kafka_topic_partition_list_add(fresh.get(), p.topic, p.partition)->offset = p.offset;
      }
    }
    if (fresh->cnt > 0) {
      if (auto e = rd_kafka_commit(rk, fresh.get(), 0)) {
        spdlog::warn("group {}: cannot commit the starting position ({})", options_.groupId,
                     rd_kafka_err2str(e));
      }
    }
    for (int i = 0; i < partitions->cnt; ++i) {
      starts.emplace_back(partitions->elems[i].partition, partitions->elems[i].offset);
    }
    return starts;
  }

  // The configured starting position of one partition as an offset; a librdkafka logical offset
  // (BEGINNING/END) when the broker cannot be asked.
  std::int64_t startOffset(rd_kafka_t* rk, std::int32_t partition) {
    std::int64_t low = 0, high = 0;
    const auto marks = rd_kafka_query_watermark_offsets(rk, options_.topic.c_str(), partition, &low,
                                                        &high, kMetadataTimeoutMs);
    if (marks) {
      return options_.startFrom == StartFrom::kEarliest ? RD_KAFKA_OFFSET_BEGINNING
                                                        : RD_KAFKA_OFFSET_END;
    }
    switch (options_.startFrom) {
      case StartFrom::kEarliest:
        return low;
      case StartFrom::kLatest:
        return high;
      case StartFrom::kTimestamp: {
        RdPartitionListPtr query(rd_kafka_topic_partition_list_new(1));
        rd_kafka_topic_partition_list_add(query.get(), options_.topic.c_str(), partition)->offset =
            options_.startTimestampMs;
        if (rd_kafka_offsets_for_times(rk, query.get(), kMetadataTimeoutMs) ||
            query->elems[0].err) {
          return RD_KAFKA_OFFSET_END;
        }
        const std::int64_t found = query->elems[0].offset;
        return found < 0 ? high : found;  // -1: no record at or after the time yet
      }
    }
    return RD_KAFKA_OFFSET_END;
  }

  // A poll that finds the prefetch queue drained right after a full one is the moment the
  // fetcher may be waiting out librdkafka's back-off (see kafka::wakeFetchers): the null handler
  // read 0.2-0.35 M records/s with its poll loop idle most of the time. Then the member's whole
  // assignment is woken (one ListOffsets per leader), at most once per kFetchWakeInterval; a
  // resumed partition is woken at once.
  void wakeFetchers(const std::vector<std::int32_t>& partitions) {
    lastWake_ = std::chrono::steady_clock::now();
    kafka::wakeFetchers(rk_.get(), options_.topic, partitions);
  }

  std::vector<std::int32_t> assigned() {
    std::vector<std::int32_t> partitions;
    rd_kafka_topic_partition_list_t* list = nullptr;
    if (rd_kafka_assignment(rk_.get(), &list) != RD_KAFKA_RESP_ERR_NO_ERROR) return partitions;
    RdPartitionListPtr owner(list);
    for (int i = 0; i < list->cnt; ++i) partitions.push_back(list->elems[i].partition);
    return partitions;
  }

  RdPartitionListPtr listOf(const std::vector<std::int32_t>& partitions) {
    if (partitions.empty() || closed_) return nullptr;
    RdPartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
    for (auto p : partitions)
      rd_kafka_topic_partition_list_add(list.get(), options_.topic.c_str(), p);
    return list;
  }

  GroupConsumerOptions options_;
  GroupRebalanceListener& listener_;
  RdKafkaPtr rk_;
  bool closing_ = false;
  bool closed_ = false;
  // Fetch wake-ups (wakeFetchers): whether the last poll was full, when the last wake-up was sent.
  // Used by the polling thread only.
  bool lastPollFull_ = false;
  std::chrono::steady_clock::time_point lastWake_{};
};

}  // namespace

std::unique_ptr<GroupConsumer> makeRdKafkaGroupConsumer(const config::KafkaConfig& config,
                                                        const GroupConsumerOptions& options,
                                                        GroupRebalanceListener& listener) {
  return std::make_unique<RdKafkaGroupConsumer>(config, options, listener);
}

}  // namespace kbridge::kafka
