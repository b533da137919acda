// CatalogLog on a compacted Kafka topic. Appends go through an idempotent acks=all producer whose
// delivery reports are served by a poll thread; a consumer assigned to partition 0 (no group, no
// commits) tails the log on a reader thread.

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "kafka/admin.h"
#include "kafka/catalog_log.h"
#include "kafka/rdkafka_handle.h"

namespace kbridge::kafka {
namespace {

struct PendingAppend {
  std::promise<KafkaResult<std::int64_t>> done;
};

void onDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void*) {
  auto* pending = static_cast<PendingAppend*>(msg->_private);
  if (!pending) return;
  if (msg->err) {
    pending->done.set_value(fail(makeKafkaError(msg->err, rd_kafka_err2str(msg->err))));
  } else {
    pending->done.set_value(static_cast<std::int64_t>(msg->offset));
  }
  delete pending;
}

class KafkaCatalogLog final : public CatalogLog {
 public:
  explicit KafkaCatalogLog(const config::KafkaConfig& config)
      : config_(config), topic_(config.catalogTopic), timeoutMs_(config.requestTimeoutMs) {
    auto pconf = makeRdKafkaConf(config, {{"client.id", "kbridge-catalog"},
                                          {"acks", "all"},
                                          {"enable.idempotence", "true"},
                                          {"linger.ms", "0"},
                                          {"message.timeout.ms", std::to_string(timeoutMs_)}});
    rd_kafka_conf_set_dr_msg_cb(pconf.get(), onDelivery);
    producer_ = makeRdKafkaClient(RD_KAFKA_PRODUCER, std::move(pconf));
    pollThread_ = std::thread([this] {
      while (!stopping_.load()) rd_kafka_poll(producer_.get(), 100);
    });

    auto cconf = makeRdKafkaConf(
        config, {{"client.id", "kbridge-catalog-reader"},
                 {"enable.partition.eof", "true"},
                 // assign() needs a group id but joins no group and commits nothing.
                 {"group.id", "kbridge-catalog-reader"},
                 {"enable.auto.commit", "false"},
                 {"auto.offset.reset", "earliest"},
                 {"fetch.wait.max.ms", "50"}});
    consumer_ = makeRdKafkaClient(RD_KAFKA_CONSUMER, std::move(cconf));
  }

  ~KafkaCatalogLog() override {
    stop();
    stopping_ = true;
    if (pollThread_.joinable()) pollThread_.join();
    rd_kafka_flush(producer_.get(), 2000);
  }

  KafkaStatus ensureTopic() override {
    auto admin = makeRdKafkaAdmin(config_);
    auto created = admin->createTopic(
        topic_, 1, config_.replicationFactor,
        {{"cleanup.policy", "compact"}, {"min.compaction.lag.ms", "0"}, {"segment.ms", "3600000"}});
    if (!created && created.error().kind != KafkaErrorKind::kTopicAlreadyExists) return created;
    return awaitTopic(*admin, topic_, 1, timeoutMs_);
  }

  KafkaResult<std::int64_t> append(const std::string& key,
                                   const std::optional<std::string>& value) override {
    auto* pending = new PendingAppend;
    auto future = pending->done.get_future();
    void* payload = value ? const_cast<char*>(value->data()) : nullptr;
    const size_t length = value ? value->size() : 0;
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_PARTITION(0),
        RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
        RD_KAFKA_V_VALUE(payload, length), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(pending), RD_KAFKA_V_END);
    if (err) {
      delete pending;
      return fail(makeKafkaError(err, ""));
    }
    // message.timeout.ms bounds delivery; the extra margin covers the report's own latency.
    if (future.wait_for(std::chrono::milliseconds(timeoutMs_ + 5000)) !=
        std::future_status::ready) {
      return fail(makeKafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, "catalog append timed out"));
    }
    return future.get();
  }

  // Asked through the producer's connection, not the reader's: a broker answers the requests of
  // one connection in order, so a ListOffsets behind the reader's fetch long poll waited out its
  // fetch.wait.max.ms (50 ms) — on every sync(), i.e. on every control-plane call and every
  // GetShardIterator.
  KafkaResult<std::int64_t> endOffset() override {
    int64_t lo = 0, hi = 0;
    if (auto e = rd_kafka_query_watermark_offsets(producer_.get(), topic_.c_str(), 0, &lo, &hi,
                                                  timeoutMs_)) {
      return fail(makeKafkaError(e, ""));
    }
    return static_cast<std::int64_t>(hi);
  }

  void startReading(std::function<void(const CatalogRecord&)> onRecord,
                    std::function<void(std::int64_t)> onPosition) override {
    stop();  // a previous, failed start may have left a reader behind
    readerStop_ = false;
    RdPartitionListPtr parts(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(parts.get(), topic_.c_str(), 0)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    if (auto e = rd_kafka_assign(consumer_.get(), parts.get())) {
      spdlog::error("catalog: cannot assign {}: {}", topic_, rd_kafka_err2str(e));
    }
    readerThread_ =
        std::thread([this, onRecord = std::move(onRecord), onPosition = std::move(onPosition)] {
          auto lastErrorLog = std::chrono::steady_clock::time_point{};
          while (!readerStop_.load()) {
            rd_kafka_message_t* msg = rd_kafka_consumer_poll(consumer_.get(), 100);
            if (!msg) continue;
            std::unique_ptr<rd_kafka_message_t, void (*)(rd_kafka_message_t*)> owner(
                msg, rd_kafka_message_destroy);
            if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
              onPosition(msg->offset);
              continue;
            }
            if (msg->err) {
              // Poll errors are transient (the consumer retries by itself) or persistent (e.g. a
              // deleted topic); either way, log at most once a second and do not spin.
              const auto now = std::chrono::steady_clock::now();
              if (now - lastErrorLog >= std::chrono::seconds(1)) {
                spdlog::warn("catalog reader: {}", rd_kafka_message_errstr(msg));
                lastErrorLog = now;
              }
              std::this_thread::sleep_for(std::chrono::milliseconds(100));
              continue;
            }
            CatalogRecord record;
            record.key.assign(static_cast<const char*>(msg->key), msg->key_len);
            if (msg->payload)
              record.value.emplace(static_cast<const char*>(msg->payload), msg->len);
            record.offset = msg->offset;
            onRecord(record);
            onPosition(msg->offset + 1);
          }
        });
  }

  void stop() override {
    readerStop_ = true;
    if (readerThread_.joinable()) readerThread_.join();
  }

 private:
  config::KafkaConfig config_;
  std::string topic_;
  int timeoutMs_;
  RdKafkaPtr producer_;
  RdKafkaPtr consumer_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> readerStop_{false};
  std::thread pollThread_;
  std::thread readerThread_;
};

}  // namespace

std::unique_ptr<CatalogLog> makeKafkaCatalogLog(const config::KafkaConfig& config) {
  return std::make_unique<KafkaCatalogLog>(config);
}

}  // namespace kbridge::kafka
