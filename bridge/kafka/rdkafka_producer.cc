// RecordProducer over librdkafka. Each batch gets a shared context counting outstanding reports;
// the delivery-report callback (on the poll thread) fills in its slot and the last report of a
// batch calls the batch's callback. Produce calls never wait: QUEUE_FULL fails the record at once.

#include <atomic>
#include <mutex>
#include <thread>

#include "kafka/producer.h"
#include "kafka/rdkafka_handle.h"

namespace kbridge::kafka {
namespace {

struct BatchContext {
  explicit BatchContext(size_t n, DeliveryCallback cb)
      : results(n), remaining(n), done(std::move(cb)) {}
  std::vector<DeliveryResult> results;
  std::atomic<size_t> remaining;
  DeliveryCallback done;

  void complete(size_t index, DeliveryResult result) {
    results[index] = std::move(result);
    if (remaining.fetch_sub(1) == 1) done(std::move(results));
  }
};

struct RecordSlot {
  std::shared_ptr<BatchContext> batch;
  size_t index;
};

void onDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void*) {
  auto* slot = static_cast<RecordSlot*>(msg->_private);
  DeliveryResult result;
  if (msg->err) {
    result.error = makeKafkaError(msg->err, rd_kafka_err2str(msg->err));
  } else {
    result.offset = msg->offset;
  }
  slot->batch->complete(slot->index, std::move(result));
  delete slot;
}

class RdKafkaProducer final : public RecordProducer {
 public:
  explicit RdKafkaProducer(const config::KafkaConfig& config) {
    auto conf =
        makeRdKafkaConf(config, {{"client.id", "kbridge-producer"},
                                 {"acks", "all"},
                                 {"enable.idempotence", "true"},
                                 {"linger.ms", "1"},
                                 {"message.timeout.ms", std::to_string(config.requestTimeoutMs)},
                                 {"queue.buffering.max.kbytes", "65536"},
                                 {"message.max.bytes", "2097152"}});
    rd_kafka_conf_set_dr_msg_cb(conf.get(), onDelivery);
    rk_ = makeRdKafkaClient(RD_KAFKA_PRODUCER, std::move(conf));
    pollThread_ = std::thread([this] {
      while (!stopping_.load()) rd_kafka_poll(rk_.get(), 100);
      rd_kafka_flush(rk_.get(), 10'000);
      rd_kafka_poll(rk_.get(), 0);
    });
  }

  ~RdKafkaProducer() override {
    stopping_ = true;
    pollThread_.join();
  }

  void produce(std::vector<OutgoingRecord> records, DeliveryCallback done) override {
    if (records.empty()) return done({});
    auto batch = std::make_shared<BatchContext>(records.size(), std::move(done));
    for (size_t i = 0; i < records.size(); ++i) {
      auto& r = records[i];
      auto* slot = new RecordSlot{batch, i};
      rd_kafka_headers_t* headers = nullptr;
      if (r.explicitHashKey) {
        headers = rd_kafka_headers_new(1);
        rd_kafka_header_add(headers, kExplicitHashKeyHeader, -1, r.explicitHashKey->data(),
                            static_cast<ssize_t>(r.explicitHashKey->size()));
      }
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk_.get(), RD_KAFKA_V_TOPIC(r.topic.c_str()), RD_KAFKA_V_PARTITION(r.partition),
          RD_KAFKA_V_KEY(r.key.data(), r.key.size()),
          RD_KAFKA_V_VALUE(r.value.data(), r.value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(slot),
          RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
      if (err) {
        if (headers) rd_kafka_headers_destroy(headers);
        delete slot;
        batch->complete(i, DeliveryResult{makeKafkaError(err, ""), -1});
      }
    }
  }

  int queueDepth() const override { return rd_kafka_outq_len(rk_.get()); }

  // rd_kafka_flush serves delivery reports itself, concurrently with the poll thread; both paths
  // call the same callback, which is safe.
  void flush(std::chrono::milliseconds timeout) override {
    rd_kafka_flush(rk_.get(), static_cast<int>(timeout.count()));
  }

 private:
  RdKafkaPtr rk_;
  std::atomic<bool> stopping_{false};
  std::thread pollThread_;
};

}  // namespace

std::unique_ptr<RecordProducer> makeRdKafkaProducer(const config::KafkaConfig& config) {
  return std::make_unique<RdKafkaProducer>(config);
}

}  // namespace kbridge::kafka
