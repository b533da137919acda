// RecordProducer over librdkafka. Each batch is one heap object that owns its records, their
// delivery slots and results: librdkafka reads keys and values from the batch's own strings (no
// copy; they stay put until the last report), and the delivery-report callback (on the poll
// thread) fills in its slot's result; the last report of a batch calls the batch's callback and
// frees it. Produce calls never wait: QUEUE_FULL fails the record at once.

#include <atomic>
#include <mutex>
#include <thread>

#include "kafka/producer.h"
#include "kafka/rdkafka_handle.h"

namespace kbridge::kafka {
namespace {

struct BatchContext;

struct RecordSlot {
  BatchContext* batch;
  size_t index;
};

struct BatchContext {
  BatchContext(std::vector<OutgoingRecord> r, DeliveryCallback cb)
      : records(std::move(r)),
        slots(records.size()),
        results(records.size()),
        remaining(records.size()),
        done(std::move(cb)) {
    for (size_t i = 0; i < slots.size(); ++i) slots[i] = {this, i};
  }
  std::vector<OutgoingRecord> records;  // never resized: librdkafka points into the values
  std::vector<RecordSlot> slots;
  std::vector<DeliveryResult> results;
  std::atomic<size_t> remaining;
  DeliveryCallback done;

  // The last completion answers and deletes the batch.
  static void complete(BatchContext* batch, size_t index, DeliveryResult result) {
    batch->results[index] = std::move(result);
    if (batch->remaining.fetch_sub(1) == 1) {
      auto done = std::move(batch->done);
      auto results = std::move(batch->results);
      delete batch;
      done(std::move(results));
    }
  }
};

void onDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void*) {
  auto* slot = static_cast<RecordSlot*>(msg->_private);
  DeliveryResult result;
  if (msg->err) {
    result.error = makeKafkaError(msg->err, rd_kafka_err2str(msg->err));
  } else {
    result.offset = msg->offset;
  }
  BatchContext::complete(slot->batch, slot->index, std::move(result));
}

class RdKafkaProducer final : public RecordProducer {
 public:
  explicit RdKafkaProducer(const config::KafkaConfig& config) {
    // Never acknowledge a record Kafka could still lose or duplicate: these are not the user's.
    ConfOverrides overrides = {{"client.id", "kbridge-producer"},
                               {"acks", "all"},
                               {"enable.idempotence", "true"},
                               {"message.timeout.ms", std::to_string(config.requestTimeoutMs)},
                               {"message.max.bytes", "2097152"}};
    // Tuning a user may change through kafka.rdkafka (latency against batching, memory).
    // linger.ms 0: a PutRecords batch is enqueued whole (produce_batch), so waiting adds only
    // latency, and librdkafka's broker thread sleeps in whole milliseconds, so any linger.ms > 0
    // costs a sparse PutRecord ~1.3 ms instead of ~0.25 ms (figures in bench/README.md).
    const std::pair<const char*, const char*> defaults[] = {
        {"linger.ms", "0"}, {"queue.buffering.max.kbytes", "65536"}};
    for (const auto& [key, value] : defaults) {
      if (!config.rdkafka.count(key)) overrides.emplace_back(key, value);
    }
    auto conf = makeRdKafkaConf(config, overrides);
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
    bool headers = false;
    for (const auto& r : records) headers = headers || r.explicitHashKey.has_value();
    auto* batch = new BatchContext(std::move(records), std::move(done));
    // `batch` must not be touched once its last record is handed over: that record's report may
    // already have freed it.
    if (headers) {
      produceEach(batch);
    } else {
      produceByPartition(batch);
    }
  }

  int queueDepth() const override { return rd_kafka_outq_len(rk_.get()); }

  // rd_kafka_flush serves delivery reports itself, concurrently with the poll thread; both paths
  // call the same callback, which is safe.
  void flush(std::chrono::milliseconds timeout) override {
    rd_kafka_flush(rk_.get(), static_cast<int>(timeout.count()));
  }

 private:
  // Records without headers: one rd_kafka_produce_batch() per partition, in request order within
  // each. librdkafka enqueues such a run under one partition lock, so the broker thread sees the
  // whole run at once (a per-record producev takes the lock per record and contends with it).
  void produceByPartition(BatchContext* batch) {
    const size_t n = batch->records.size();
    std::vector<std::pair<const std::string*, std::int32_t>> partitions;
    std::vector<std::vector<size_t>> runs;
    for (size_t i = 0; i < n; ++i) {
      const auto& r = batch->records[i];
      size_t k = 0;
      while (k < partitions.size() &&
             (partitions[k].second != r.partition || *partitions[k].first != r.topic)) {
        ++k;
      }
      if (k == partitions.size()) {
        partitions.emplace_back(&r.topic, r.partition);
        runs.emplace_back();
      }
      runs[k].push_back(i);
    }
    // Copied before the first hand-over, after which `batch` may be gone.
    std::vector<std::string> topics;
    topics.reserve(partitions.size());
    for (const auto& [topic, _] : partitions) topics.push_back(*topic);
    std::vector<rd_kafka_message_t> messages;
    for (size_t k = 0; k < runs.size(); ++k) {
      const auto& run = runs[k];
      messages.assign(run.size(), rd_kafka_message_t{});
      for (size_t m = 0; m < run.size(); ++m) {
        auto& r = batch->records[run[m]];
        messages[m].payload = r.value.data();
        messages[m].len = r.value.size();
        messages[m].key = r.key.data();
        messages[m].key_len = r.key.size();
        messages[m]._private = &batch->slots[run[m]];
      }
      rd_kafka_topic_t* topic = rd_kafka_topic_new(rk_.get(), topics[k].c_str(), nullptr);
      const std::int32_t partition = partitions[k].second;
      if (topic == nullptr) {
        for (size_t m = 0; m < run.size(); ++m) {
          BatchContext::complete(batch, run[m],
                                 DeliveryResult{makeKafkaError(rd_kafka_last_error(), ""), -1});
        }
        continue;
      }
      // No RD_KAFKA_MSG_F_COPY: the values stay in the batch until their reports.
      const int queued = rd_kafka_produce_batch(topic, partition, 0, messages.data(),
                                                static_cast<int>(messages.size()));
      if (queued < static_cast<int>(messages.size())) {
        // Only records that were not queued have an error (they get no report).
        for (auto& m : messages) {
          if (!m.err) continue;
          auto* slot = static_cast<RecordSlot*>(m._private);
          BatchContext::complete(slot->batch, slot->index,
                                 DeliveryResult{makeKafkaError(m.err, ""), -1});
        }
      }
      rd_kafka_topic_destroy(topic);
    }
  }

  // Records with headers (ExplicitHashKey), which rd_kafka_produce_batch cannot carry: one
  // producev each, in request order.
  void produceEach(BatchContext* batch) {
    const size_t n = batch->records.size();
    for (size_t i = 0; i < n; ++i) {
      auto& r = batch->records[i];
      rd_kafka_headers_t* headers = nullptr;
      if (r.explicitHashKey) {
        headers = rd_kafka_headers_new(1);
        rd_kafka_header_add(headers, kExplicitHashKeyHeader, -1, r.explicitHashKey->data(),
                            static_cast<ssize_t>(r.explicitHashKey->size()));
      }
      // No RD_KAFKA_MSG_F_COPY: the value stays in the batch until the record's report.
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk_.get(), RD_KAFKA_V_TOPIC(r.topic.c_str()), RD_KAFKA_V_PARTITION(r.partition),
          RD_KAFKA_V_KEY(r.key.data(), r.key.size()),
          RD_KAFKA_V_VALUE(r.value.data(), r.value.size()), RD_KAFKA_V_MSGFLAGS(0),
          RD_KAFKA_V_OPAQUE(&batch->slots[i]), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
      if (err) {
        if (headers) rd_kafka_headers_destroy(headers);
        BatchContext::complete(batch, i, DeliveryResult{makeKafkaError(err, ""), -1});
      }
    }
  }

  RdKafkaPtr rk_;
  std::atomic<bool> stopping_{false};
  std::thread pollThread_;
};

}  // namespace

std::unique_ptr<RecordProducer> makeRdKafkaProducer(const config::KafkaConfig& config) {
  return std::make_unique<RdKafkaProducer>(config);
}

}  // namespace kbridge::kafka
