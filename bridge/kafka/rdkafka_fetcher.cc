// Fetcher over librdkafka's simple (per-partition) consumer API: one consumer handle; per
// partition a cursor that, once started, keeps prefetching from its position. A request at the
// cursor's position is served from the prefetch queue; any other offset costs one seek. Idle
// cursors are stopped so their prefetch memory is released.
//
// ListOffsets queries (watermarks, offsets for times) go through a second handle that never
// fetches: a broker answers one connection's requests in order, so on the fetching handle a query
// waited behind a cursor's fetch long poll (up to fetch.wait.max.ms) — on every seek, every
// GetShardIterator and every read that caught up with the known end.
//
// Watermarks: a sequential read (at the cursor's position) below the last known high watermark
// needs no broker round trip — records are known to exist there, and the high watermark only
// grows. The known marks come from the last ListOffsets query and from librdkafka's cached high
// watermark (updated by every fetch response). Any other read — a seek, a reader that caught up
// with the known end, the first read after an error — asks the broker, so an empty answer is never
// given while records exist, and a record acknowledged before GetRecords is seen by it.
//
// A sequential read that finds the prefetch queue empty wakes the fetch (wakeFetchers) before it
// waits: librdkafka stops fetching while the queue is full and would look again up to a second
// after the reader had drained it.

#include <chrono>
#include <map>
#include <mutex>

#include "kafka/fetcher.h"
#include "kafka/rdkafka_handle.h"

namespace kbridge::kafka {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kIdleCursor = std::chrono::seconds(60);
constexpr auto kSweepInterval = std::chrono::seconds(5);
constexpr int kFirstRecordWaitMs = 2000;  // how long to wait for records known to exist

struct Cursor {
  std::mutex mutex;  // one reader per partition at a time
  rd_kafka_topic_t* topic = nullptr;
  std::int32_t partition = 0;
  bool started = false;
  std::int64_t position = -1;  // offset of the next message the prefetch queue will deliver
  Watermarks known{-1, -1};    // from the last query; `high` raised by fetch responses
  Clock::time_point lastUse;
  Clock::time_point lastWake;  // the last wakeFetchers for this partition
  bool draining = false;       // the last read found its records already queued
};

class RdKafkaFetcher final : public Fetcher {
 public:
  explicit RdKafkaFetcher(const config::KafkaConfig& config)
      : timeoutMs_(config.requestTimeoutMs),
        rk_(makeRdKafkaClient(
            RD_KAFKA_CONSUMER,
            makeRdKafkaConf(config, {{"client.id", "kbridge-fetcher"},
                                     {"group.id", "kbridge-fetcher"},  // never joined or committed
                                     {"enable.auto.commit", "false"},
                                     {"enable.auto.offset.store", "false"},
                                     {"auto.offset.reset", "earliest"},
                                     {"fetch.wait.max.ms", "10"},
                                     {"queued.max.messages.kbytes", "16384"}}))),
        queries_(makeRdKafkaClient(
            RD_KAFKA_CONSUMER,
            makeRdKafkaConf(config, {{"client.id", "kbridge-fetcher-queries"},
                                     {"group.id", "kbridge-fetcher"},  // never joined or committed
                                     {"enable.auto.commit", "false"}}))) {}

  ~RdKafkaFetcher() override {
    std::lock_guard lock(mutex_);
    for (auto& [_, c] : cursors_) {
      if (c->started) rd_kafka_consume_stop(c->topic, c->partition);
    }
    for (auto& [_, t] : topics_) rd_kafka_topic_destroy(t);
  }

  KafkaResult<FetchResult> fetch(const std::string& topic, std::int32_t partition,
                                 std::int64_t offset, std::size_t maxRecords,
                                 std::size_t maxBytes) override {
    auto cursor = cursorFor(topic, partition);
    std::lock_guard lock(cursor->mutex);
    cursor->lastUse = Clock::now();
    FetchResult result;
    const bool sequential = cursor->started && cursor->position == offset &&
                            offset >= cursor->known.low && offset < knownHigh(*cursor);
    if (!sequential) {
      auto marks = query(cursor->topic, partition);
      if (!marks) return fail(marks.error());
      cursor->known = *marks;
    }
    const Watermarks marks = cursor->known;
    result.watermarks = marks;
    offset = std::max(offset, marks.low);
    result.nextOffset = offset;
    if (offset >= marks.high) return result;

    if (auto positioned = position(*cursor, offset); !positioned) return fail(positioned.error());
    const auto wanted = static_cast<std::size_t>(
        std::min<std::int64_t>(static_cast<std::int64_t>(maxRecords), marks.high - offset));
    std::vector<rd_kafka_message_t*> messages(wanted);
    const auto deadline = Clock::now() + std::chrono::milliseconds(kFirstRecordWaitMs);
    std::size_t bytes = 0;
    bool looked = false;  // the prefetch queue was read once without waiting
    while (result.records.size() < wanted && bytes < maxBytes) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      const int waitMs = result.records.empty() && looked
                             ? static_cast<int>(std::max<std::int64_t>(left.count(), 0))
                             : 0;
      ssize_t n = rd_kafka_consume_batch(cursor->topic, partition, waitMs, messages.data(),
                                         wanted - result.records.size());
      if (n < 0) return fail(makeKafkaError(rd_kafka_last_error(), ""));
      if (n == 0 && result.records.empty() && !looked) {
        // Records exist here but none are queued: a fetch is in flight, or — for a reader that
        // has been draining a backlog straight from the queue — librdkafka's fetcher is backing
        // off because the queue was full until the reader drained it (see wakeFetchers). Wake it
        // then (at most every 50 ms per cursor), and wait. A reader at the tail sends nothing.
        looked = true;
        if (const auto now = Clock::now();
            cursor->draining && now - cursor->lastWake >= kFetchWakeInterval) {
          cursor->lastWake = now;
          wakeFetchers(rk_.get(), topic, {partition});
        }
        continue;
      }
      if (n == 0) break;
      bool stop = false;
      for (ssize_t i = 0; i < n; ++i) {
        rd_kafka_message_t* m = messages[static_cast<size_t>(i)];
        if (!stop && !m->err && bytes < maxBytes) {
          FetchedRecord r;
          r.offset = m->offset;
          r.timestampMs = rd_kafka_message_timestamp(m, nullptr);
          if (m->key) r.key.assign(static_cast<const char*>(m->key), m->key_len);
          if (m->payload) r.value.assign(static_cast<const char*>(m->payload), m->len);
          bytes += r.key.size() + r.value.size();
          cursor->position = m->offset + 1;
          result.records.push_back(std::move(r));
        } else if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          stop = true;  // e.g. offset out of range after trimming: answer with what we have
        } else if (!m->err) {
          // Consumed past the byte budget: the cursor must seek back next time.
          cursor->position = -1;
        }
        rd_kafka_message_destroy(m);
      }
      if (stop) {
        cursor->position = -1;
        break;
      }
    }
    if (!result.records.empty()) result.nextOffset = result.records.back().offset + 1;
    cursor->draining = !looked && !result.records.empty();
    sweepIdle(cursor.get());
    return result;
  }

  KafkaResult<Watermarks> watermarks(const std::string& topic, std::int32_t partition) override {
    auto cursor = cursorFor(topic, partition);
    return query(cursor->topic, partition);
  }

  void forgetTopic(const std::string& topic) override {
    std::vector<std::shared_ptr<Cursor>> dropped;
    {
      std::lock_guard lock(mutex_);
      for (auto it = cursors_.begin(); it != cursors_.end();) {
        if (it->first.first == topic) {
          dropped.push_back(it->second);
          it = cursors_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& c : dropped) {
      std::lock_guard lock(c->mutex);  // waits for a fetch in progress
      if (c->started) rd_kafka_consume_stop(c->topic, c->partition);
      c->started = false;
    }
  }

  KafkaResult<std::int64_t> offsetForTime(const std::string& topic, std::int32_t partition,
                                          std::int64_t timestampMs) override {
    return queryOffsetForTime(queries_.get(), topic, partition, timestampMs, timeoutMs_);
  }

 private:
  std::shared_ptr<Cursor> cursorFor(const std::string& topic, std::int32_t partition) {
    std::lock_guard lock(mutex_);
    auto& cursor = cursors_[{topic, partition}];
    if (!cursor) {
      cursor = std::make_shared<Cursor>();
      auto& t = topics_[topic];
      if (!t) t = rd_kafka_topic_new(rk_.get(), topic.c_str(), nullptr);
      cursor->topic = t;
      cursor->partition = partition;
      cursor->lastUse = Clock::now();
    }
    return cursor;
  }

  // The cursor's known high watermark, raised to librdkafka's cached one when that is newer.
  std::int64_t knownHigh(Cursor& cursor) {
    std::int64_t low = -1, high = -1;
    if (!rd_kafka_get_watermark_offsets(rk_.get(), rd_kafka_topic_name(cursor.topic),
                                        cursor.partition, &low, &high)) {
      cursor.known.high = std::max(cursor.known.high, high);
    }
    return cursor.known.high;
  }

  KafkaResult<Watermarks> query(rd_kafka_topic_t* topic, std::int32_t partition) {
    return queryWatermarks(queries_.get(), rd_kafka_topic_name(topic), partition, timeoutMs_);
  }

  KafkaStatus position(Cursor& cursor, std::int64_t offset) {
    if (!cursor.started) {
      if (rd_kafka_consume_start(cursor.topic, cursor.partition, offset) == -1) {
        return fail(makeKafkaError(rd_kafka_last_error(), ""));
      }
      cursor.started = true;
    } else if (cursor.position != offset) {
      if (auto e = rd_kafka_seek(cursor.topic, cursor.partition, offset, timeoutMs_)) {
        return fail(makeKafkaError(e, ""));
      }
    }
    cursor.position = offset;
    return {};
  }

  // Stops cursors nobody read for a while (never the caller's, whose mutex is held). Runs at most
  // every few seconds: it walks every cursor, and fetch() is the hot read path.
  void sweepIdle(const Cursor* current) {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    if (now - lastSweep_ < kSweepInterval) return;
    lastSweep_ = now;
    for (auto it = cursors_.begin(); it != cursors_.end();) {
      auto& c = it->second;
      if (c.get() != current && now - c->lastUse > kIdleCursor && c->mutex.try_lock()) {
        if (c->started) rd_kafka_consume_stop(c->topic, c->partition);
        c->mutex.unlock();
        it = cursors_.erase(it);
      } else {
        ++it;
      }
    }
  }

  int timeoutMs_;
  RdKafkaPtr rk_;
  RdKafkaPtr queries_;
  std::mutex mutex_;
  std::map<std::pair<std::string, std::int32_t>, std::shared_ptr<Cursor>> cursors_;
  std::map<std::string, rd_kafka_topic_t*> topics_;
  Clock::time_point lastSweep_{};
};

}  // namespace

std::unique_ptr<Fetcher> makeRdKafkaFetcher(const config::KafkaConfig& config) {
  return std::make_unique<RdKafkaFetcher>(config);
}

}  // namespace kbridge::kafka
