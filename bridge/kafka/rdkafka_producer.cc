// RecordProducer over librdkafka. Each batch is one heap object that owns its records, their
// delivery slots and results: librdkafka reads keys and values from the batch's own strings (no
// copy; they stay put until the last report), and the delivery-report callback (on the poll
// thread) fills in its slot's result; the last report of a batch calls the batch's callback and
// frees it. Produce calls never wait: QUEUE_FULL fails the record at once. Records reach
// librdkafka through a SendGate per partition (send_gate.h): a partition's small records that
// arrive while it has a request in flight wait for it and go together in the next one. A long
// run of one partition's records is enqueued with the partition paused, so that it leaves whole
// (kHeldRunRecords).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <utility>

#include "kafka/producer.h"
#include "kafka/rdkafka_handle.h"
#include "kafka/send_gate.h"

namespace kbridge::kafka {
namespace {

struct BatchContext;
struct RecordSlot;
using Gate = SendGate<RecordSlot*>;

struct RecordSlot {
  BatchContext* batch;
  size_t index;
  Gate::Send* send = nullptr;  // set when the record is handed to librdkafka
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
  static void complete(RecordSlot* slot, DeliveryResult result) {
    BatchContext* batch = slot->batch;
    batch->results[slot->index] = std::move(result);
    if (batch->remaining.fetch_sub(1) == 1) {
      auto done = std::move(batch->done);
      auto results = std::move(batch->results);
      delete batch;
      done(std::move(results));
    }
  }
};

// A delivery report's answer, kept until rd_kafka_poll returns (see onDelivery). Only the poll
// thread defers; reports served by flush() on another thread answer at once.
using Completion = std::pair<RecordSlot*, DeliveryResult>;
thread_local std::vector<Completion>* deferredAnswers = nullptr;
// Set while this thread runs a delivery report; sendNow() then only notes that it is wanted
// (sendWanted), and the thread sends once the report's rd_kafka_poll (or flush) has returned.
thread_local bool inReport = false;
thread_local bool sendWanted = false;

// Runs of at least this many records (one partition's, of one hand-over) are enqueued with the
// partition paused. librdkafka 2.0.2 enqueues a batch record by record, and the first record
// wakes its broker thread, which sends what is queued by then; once 5 records are in flight (its
// idempotent window counts records, not requests) it sends nothing more to the partition until
// that request's response, and spins meanwhile. Paused, the run is sent whole when resumed. The
// pause and the resume are synchronous calls to librdkafka's main thread, ~0.1 ms each on the
// benchmark machine: they pay off from ~300 records of 100 bytes, where the split became likely
// and cost a broker round trip (figures in bench/README.md, "Last run": the partition hold).
constexpr size_t kHeldRunRecords = 320;

// The SendGate's limits: at most 5 sends per partition (as many as an idempotent producer's
// requests); below 16 KiB, records arriving while their partition has a request in flight wait
// for it and go together in the next one (figures in bench/README.md).
constexpr int kSendsPerPartition = 5;
constexpr size_t kParallelSendBytes = 16 * 1024;
// librdkafka's queue (queue.buffering.max.kbytes) unless kafka.rdkafka says otherwise; the gate
// may hold as much again.
constexpr const char* kQueueKbytes = "65536";

size_t queueBytes(const config::KafkaConfig& config) {
  auto it = config.rdkafka.find("queue.buffering.max.kbytes");
  const std::string& kbytes = it != config.rdkafka.end() ? it->second : kQueueKbytes;
  try {
    return static_cast<size_t>(std::stoull(kbytes)) * 1024;
  } catch (const std::exception&) {
    return static_cast<size_t>(std::stoull(kQueueKbytes)) * 1024;  // librdkafka refuses it anyway
  }
}

class RdKafkaProducer final : public RecordProducer {
 public:
  explicit RdKafkaProducer(const config::KafkaConfig& config)
      : gate_(kSendsPerPartition, kParallelSendBytes, queueBytes(config)) {
    // Never acknowledge a record Kafka could still lose or duplicate: these are not the user's.
    ConfOverrides overrides = {{"client.id", "kbridge-producer"},
                               {"acks", "all"},
                               {"enable.idempotence", "true"},
                               {"message.timeout.ms", std::to_string(config.requestTimeoutMs)},
                               {"message.max.bytes", "2097152"}};
    // Tuning a user may change through kafka.rdkafka (latency against batching, memory).
    // linger.ms 0: records arriving while a partition's request is in flight wait in the
    // SendGate, so lingering adds only latency; and librdkafka's broker thread sleeps in whole
    // milliseconds, so any linger.ms > 0 costs a sparse PutRecord ~1.3 ms instead of ~0.25 ms
    // (figures in bench/README.md).
    const std::pair<const char*, const char*> defaults[] = {
        {"linger.ms", "0"}, {"queue.buffering.max.kbytes", kQueueKbytes}};
    for (const auto& [key, value] : defaults) {
      if (!config.rdkafka.count(key)) overrides.emplace_back(key, value);
    }
    auto conf = makeRdKafkaConf(config, overrides);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), onDelivery);
    rd_kafka_conf_set_opaque(conf.get(), this);
    rk_ = makeRdKafkaClient(RD_KAFKA_PRODUCER, std::move(conf));
    pollThread_ = std::thread([this] {
      std::vector<Completion> answers;
      deferredAnswers = &answers;
      while (!stopping_.load()) {
        rd_kafka_poll(rk_.get(), 100);
        if (sendWanted) sendNow();
        for (auto& [slot, result] : answers) BatchContext::complete(slot, std::move(result));
        answers.clear();
      }
      deferredAnswers = nullptr;
    });
  }

  ~RdKafkaProducer() override {
    stopping_ = true;
    pollThread_.join();
    flush(std::chrono::milliseconds(10'000));
    rd_kafka_poll(rk_.get(), 0);
  }

  void produce(std::vector<OutgoingRecord> records, DeliveryCallback done) override {
    if (records.empty()) return done({});
    auto* batch = new BatchContext(std::move(records), std::move(done));
    // The records of each partition, in request order. All of it is read from `batch` before the
    // first hand-over: that record's report may already free it.
    struct Run {
      std::string topic;  // a copy: `batch` may be gone after the first hand-over
      std::int32_t partition;
      std::vector<RecordSlot*> items;
      size_t bytes = 0;
    };
    std::vector<Run> runs;
    for (auto& slot : batch->slots) {
      const auto& r = batch->records[slot.index];
      auto run = std::find_if(runs.begin(), runs.end(), [&](const Run& n) {
        return n.partition == r.partition && n.topic == r.topic;
      });
      if (run == runs.end()) run = runs.insert(runs.end(), Run{r.topic, r.partition, {}, 0});
      run->items.push_back(&slot);
      run->bytes += r.key.size() + r.value.size();
    }
    for (auto& run : runs) {
      handOver(gate_.offer(run.topic, run.partition, std::move(run.items), run.bytes));
    }
  }

  int queueDepth() const override {
    return rd_kafka_outq_len(rk_.get()) + static_cast<int>(gate_.held());
  }

  // rd_kafka_flush serves delivery reports itself, concurrently with the poll thread; both paths
  // call the same callback, which is safe. Records held in the gate are handed over by the report
  // of the send they wait for, so they are counted before librdkafka's queue can look empty. A
  // run handed over by a report served here waits for the next slice's wake-up (sendNow).
  void flush(std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      rd_kafka_flush(rk_.get(), static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 10)));
      sendWanted = false;
    } while ((rd_kafka_outq_len(rk_.get()) > 0 || gate_.held() > 0) &&
             std::chrono::steady_clock::now() < deadline);
  }

 private:
  static void onDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
    auto* self = static_cast<RdKafkaProducer*>(opaque);
    const bool nested = std::exchange(inReport, true);
    auto* slot = static_cast<RecordSlot*>(msg->_private);
    Gate::Send* send = slot->send;  // read before the slot's batch may be freed
    DeliveryResult result;
    bool timedOut = false;
    if (msg->err) {
      result.error = makeKafkaError(msg->err, rd_kafka_err2str(msg->err));
      timedOut = result.error->kind == KafkaErrorKind::kTimedOut;
    } else {
      result.offset = msg->offset;
    }
    // The records held behind this send go first; on the poll thread the answers wait until
    // rd_kafka_poll has served every report it had, so the next request to the partition leaves
    // before the answers of the last one are handed to the HTTP threads.
    if (self->gate_.delivered(send, 1, timedOut)) self->handOver(self->gate_.finish(send));
    if (deferredAnswers != nullptr) {
      deferredAnswers->emplace_back(slot, std::move(result));
    } else {
      BatchContext::complete(slot, std::move(result));
    }
    inReport = nested;
  }

  // Has librdkafka's broker threads send what is queued: resuming a partition does not wake
  // them, and rd_kafka_flush does (its documented use: queued messages are sent at once); with
  // no wait it otherwise only serves the reports that are ready, as rd_kafka_poll(0) would.
  // Never from inside a report: flushing there would serve reports within a report.
  void sendNow() {
    if (inReport) {
      sendWanted = true;
      return;
    }
    do {
      sendWanted = false;
      rd_kafka_flush(rk_.get(), 0);
    } while (sendWanted);
  }

  // One partition paused for the life of the hold, so that what is enqueued meanwhile leaves in
  // one request once it ends (kHeldRunRecords). Only a send that found its partition idle holds
  // it, so holds of one partition do not overlap in practice: pauses and resumes are not counted,
  // and a partition paused by one thread while another's hold ends would be resumed early (its
  // records would then leave in two requests, as without a hold).
  class PartitionHold {
   public:
    PartitionHold(RdKafkaProducer& producer, const std::string& topic, std::int32_t partition)
        : producer_(producer), list_(rd_kafka_topic_partition_list_new(1)) {
      rd_kafka_topic_partition_list_add(list_.get(), topic.c_str(), partition);
      rd_kafka_pause_partitions(producer_.rk_.get(), list_.get());
    }
    PartitionHold(const PartitionHold&) = delete;
    PartitionHold& operator=(const PartitionHold&) = delete;
    ~PartitionHold() {
      // A partition librdkafka does not know yet was not paused (its error says so); resuming
      // it is as harmless.
      rd_kafka_resume_partitions(producer_.rk_.get(), list_.get());
      producer_.sendNow();
    }

   private:
    RdKafkaProducer& producer_;
    RdPartitionListPtr list_;
  };

  // Hands the records of `work` to librdkafka under its send, and goes on with what the gate
  // gives back while sends end at once (every record refused by librdkafka). Records without a
  // send fail: refused by a full gate, as by a full queue (QUEUE_FULL, answered as throttling);
  // or held behind a send that timed out, with the same error, rather than wait out a timeout of
  // their own behind it (Kafka unreachable).
  void handOver(Gate::Next work) {
    while (!work.items.empty()) {
      if (work.send == nullptr) {
        const auto error =
            work.refused
                ? makeKafkaError(RD_KAFKA_RESP_ERR__QUEUE_FULL, "too many records wait to be sent")
                : makeKafkaError(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT,
                                 "timed out behind an earlier request to the partition's leader");
        for (auto* slot : work.items) BatchContext::complete(slot, DeliveryResult{error, -1});
        return;
      }
      Gate::Send* send = work.send;
      for (auto* slot : work.items) slot->send = send;
      const size_t refused = enqueue(work.topic, work.partition, work.items, work.alone);
      if (refused == 0 || !gate_.delivered(send, refused, false)) return;
      work = gate_.finish(send);
    }
  }

  // Enqueues one partition's records, in order; completes those librdkafka refuses at once (they
  // get no report) and returns how many. Runs without headers go through one
  // rd_kafka_produce_batch each (one call instead of one per record); a long one is held
  // (kHeldRunRecords) when it is the partition's only send (`alone`): behind another send, it
  // waits for that one's response anyway, and is whole by then. Records with headers
  // (ExplicitHashKey), which produce_batch cannot carry, go through producev. No
  // RD_KAFKA_MSG_F_COPY: values stay in their batch until their reports.
  size_t enqueue(const std::string& topicName, std::int32_t partition,
                 const std::vector<RecordSlot*>& items, bool alone) {
    std::optional<PartitionHold> hold;
    if (alone && items.size() >= kHeldRunRecords) hold.emplace(*this, topicName, partition);
    size_t refused = 0;
    auto refuse = [&](RecordSlot* slot, rd_kafka_resp_err_t err) {
      BatchContext::complete(slot, DeliveryResult{makeKafkaError(err, ""), -1});
      ++refused;
    };
    rd_kafka_topic_t* topic = rd_kafka_topic_new(rk_.get(), topicName.c_str(), nullptr);
    if (topic == nullptr) {
      const rd_kafka_resp_err_t err = rd_kafka_last_error();
      for (auto* slot : items) refuse(slot, err);
      return refused;
    }
    std::vector<rd_kafka_message_t> messages;
    size_t i = 0;
    while (i < items.size()) {
      const OutgoingRecord& first = items[i]->batch->records[items[i]->index];
      if (first.explicitHashKey) {
        if (auto err = produceWithHeader(topicName, partition, items[i])) refuse(items[i], err);
        ++i;
        continue;
      }
      messages.clear();
      size_t end = i;
      for (; end < items.size(); ++end) {
        RecordSlot* slot = items[end];
        OutgoingRecord& r = slot->batch->records[slot->index];
        if (r.explicitHashKey) break;
        rd_kafka_message_t m{};
        m.payload = r.value.data();
        m.len = r.value.size();
        m.key = r.key.data();
        m.key_len = r.key.size();
        m._private = slot;
        messages.push_back(m);
      }
      const int queued = rd_kafka_produce_batch(topic, partition, 0, messages.data(),
                                                static_cast<int>(messages.size()));
      if (queued < static_cast<int>(messages.size())) {
        // Only records that were not queued have an error (they get no report).
        for (auto& m : messages) {
          if (m.err) refuse(static_cast<RecordSlot*>(m._private), m.err);
        }
      }
      i = end;
    }
    rd_kafka_topic_destroy(topic);
    return refused;
  }

  rd_kafka_resp_err_t produceWithHeader(const std::string& topic, std::int32_t partition,
                                        RecordSlot* slot) {
    OutgoingRecord& r = slot->batch->records[slot->index];
    rd_kafka_headers_t* headers = rd_kafka_headers_new(1);
    rd_kafka_header_add(headers, kExplicitHashKeyHeader, -1, r.explicitHashKey->data(),
                        static_cast<ssize_t>(r.explicitHashKey->size()));
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_KEY(r.key.data(), r.key.size()),
        RD_KAFKA_V_VALUE(r.value.data(), r.value.size()), RD_KAFKA_V_MSGFLAGS(0),
        RD_KAFKA_V_OPAQUE(slot), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
    if (err) rd_kafka_headers_destroy(headers);
    return err;
  }

  Gate gate_;
  RdKafkaPtr rk_;
  std::atomic<bool> stopping_{false};
  std::thread pollThread_;
};

}  // namespace

std::unique_ptr<RecordProducer> makeRdKafkaProducer(const config::KafkaConfig& config) {
  return std::make_unique<RdKafkaProducer>(config);
}

}  // namespace kbridge::kafka
