#include "kafka/rdkafka_handle.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <thread>

namespace kbridge::kafka {
namespace {

void logToSpdlog(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  auto lvl = level <= 3   ? spdlog::level::err
             : level == 4 ? spdlog::level::warn
             : level <= 6 ? spdlog::level::info
                          : spdlog::level::debug;
  spdlog::log(lvl, "rdkafka {} {}: {}", rk ? rd_kafka_name(rk) : "-", fac, buf);
}

void set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    throw std::runtime_error("kafka.rdkafka." + key + ": " + err);
  }
}

}  // namespace

void destroyRdKafkaBounded(rd_kafka_t* rk) {
  if (!rk) return;
  constexpr auto kDestroyWait = std::chrono::seconds(15);
  const std::string name = rd_kafka_name(rk);
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  std::thread([rk, done] {
    rd_kafka_destroy(rk);
    done->set_value();
  }).detach();
  if (finished.wait_for(kDestroyWait) == std::future_status::timeout) {
    spdlog::warn(
        "kafka client {} did not shut down within {} s (a librdkafka wait after its topic was "
        "deleted); leaving it to the process",
        name, std::chrono::duration_cast<std::chrono::seconds>(kDestroyWait).count());
  }
}

RdAdminOptionsPtr makeAdminOptions(rd_kafka_t* rk, rd_kafka_admin_op_t op, int timeoutMs) {
  RdAdminOptionsPtr opts(rd_kafka_AdminOptions_new(rk, op));
  char err[256];
  rd_kafka_AdminOptions_set_request_timeout(opts.get(), timeoutMs, err, sizeof err);
  return opts;
}

RdConfPtr makeRdKafkaConf(const config::KafkaConfig& config, const ConfOverrides& overrides) {
  RdConfPtr conf(rd_kafka_conf_new());
  set(conf.get(), "bootstrap.servers", config.bootstrapServers);
  // librdkafka's producer would otherwise ask brokers to create any topic it looks up.
  set(conf.get(), "allow.auto.create.topics", "false");
  for (const auto& [key, value] : config.rdkafka) set(conf.get(), key, value);
  for (const auto& [key, value] : overrides) set(conf.get(), key, value);
  rd_kafka_conf_set_log_cb(conf.get(), logToSpdlog);
  return conf;
}

RdKafkaPtr makeRdKafkaClient(rd_kafka_type_t type, RdConfPtr conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (!rk) throw std::runtime_error(std::string("cannot create Kafka client: ") + err);
  conf.release();  // owned by rk now
  return RdKafkaPtr(rk);
}

namespace {

// Asks again, for up to a second (within `timeoutMs`), while the partition has no leader that
// answers: just after its topic was created (the broker takes it over a moment after CreateTopics
// returned, and until then answers NOT_LEADER_OR_FOLLOWER) or while leadership moves. librdkafka
// 2.0.2 hands those errors of a ListOffsets straight back. A partition without a leader for longer
// fails as before (ServiceUnavailable): a caller's thread is not held for the whole timeout.
template <typename Query>
rd_kafka_resp_err_t askWhileLeaderMoves(int timeoutMs, Query query) {
  constexpr auto kBackoff = std::chrono::milliseconds(20);
  constexpr auto kLeaderWait = std::chrono::milliseconds(1000);
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::milliseconds(timeoutMs);
  const auto retryUntil = std::min(deadline, start + kLeaderWait);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const rd_kafka_resp_err_t err =
        query(static_cast<int>(std::max<std::int64_t>(left.count(), 1)));
    const bool moving = err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
                        err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
    if (!moving || std::chrono::steady_clock::now() + kBackoff >= retryUntil) return err;
    std::this_thread::sleep_for(kBackoff);
  }
}

}  // namespace

KafkaResult<Watermarks> queryWatermarks(rd_kafka_t* rk, const std::string& topic,
                                        std::int32_t partition, int timeoutMs) {
  Watermarks w;
  if (auto e = askWhileLeaderMoves(timeoutMs, [&](int ms) {
        return rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &w.low, &w.high, ms);
      })) {
    return fail(makeKafkaError(e, ""));
  }
  return w;
}

KafkaResult<std::int64_t> queryOffsetForTime(rd_kafka_t* rk, const std::string& topic,
                                             std::int32_t partition, std::int64_t timestampMs,
                                             int timeoutMs) {
  RdPartitionListPtr list(rd_kafka_topic_partition_list_new(1));
  auto& p = *rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
  if (auto e = askWhileLeaderMoves(timeoutMs, [&](int ms) {
        p.offset = timestampMs;
        p.err = RD_KAFKA_RESP_ERR_NO_ERROR;
        const auto err = rd_kafka_offsets_for_times(rk, list.get(), ms);
        return err ? err : p.err;
      })) {
    return fail(makeKafkaError(e, ""));
  }
  if (p.offset >= 0) return static_cast<std::int64_t>(p.offset);
  auto marks = queryWatermarks(rk, topic, partition, timeoutMs);  // no record that late
  if (!marks) return fail(marks.error());
  return marks->high;
}

void wakeFetchers(rd_kafka_t* rk, const std::string& topic,
                  const std::vector<std::int32_t>& partitions) {
  if (partitions.empty()) return;
  RdPartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (auto partition : partitions) {
    // As a timestamp, RD_KAFKA_OFFSET_END asks for the latest offset.
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset =
        RD_KAFKA_OFFSET_END;
  }
  // 1 ms: the request is queued for the broker thread (the wake-up) before the wait begins.
  (void)rd_kafka_offsets_for_times(rk, list.get(), 1);
}

KafkaResult<int> queryPartitionCount(rd_kafka_t* rk, const std::string& topic, int timeoutMs) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  std::unique_ptr<rd_kafka_topic_t, void (*)(rd_kafka_topic_t*)> owner(rkt, rd_kafka_topic_destroy);
  const rd_kafka_metadata_t* md = nullptr;
  if (auto e = rd_kafka_metadata(rk, 0, rkt, &md, timeoutMs)) return fail(makeKafkaError(e, ""));
  std::unique_ptr<const rd_kafka_metadata_t, void (*)(const rd_kafka_metadata_t*)> mdOwner(
      md, rd_kafka_metadata_destroy);
  if (md->topic_cnt < 1) return fail(makeKafkaError(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, ""));
  if (md->topics[0].err) return fail(makeKafkaError(md->topics[0].err, ""));
  return md->topics[0].partition_cnt;
}

}  // namespace kbridge::kafka
