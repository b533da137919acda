#pragma once
// RAII ownership of librdkafka handles and the one place that turns kbridge's KafkaConfig into a
// librdkafka configuration. Internal to kafka/: nothing outside this folder includes librdkafka.

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "kafka/errors.h"
#include "kafka/fetcher.h"

namespace kbridge::kafka {

// Destroys a client handle, waiting at most 15 s. librdkafka 2.0's rd_kafka_destroy() can wait
// forever for its broker thread after a query on a topic that was deleted meanwhile (e.g. the
// stream of a running mapping): the handle is then left to the process (its threads idle) and a
// warning logged, rather than blocking shutdown or a worker.
void destroyRdKafkaBounded(rd_kafka_t* rk);

struct RdKafkaDeleter {
  void operator()(rd_kafka_t* rk) const { destroyRdKafkaBounded(rk); }
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};

using RdKafkaPtr = std::unique_ptr<rd_kafka_t, RdKafkaDeleter>;
using RdConfPtr = std::unique_ptr<rd_kafka_conf_t, RdKafkaDeleter>;
using RdQueuePtr = std::unique_ptr<rd_kafka_queue_t, RdKafkaDeleter>;
using RdEventPtr = std::unique_ptr<rd_kafka_event_t, RdKafkaDeleter>;
using RdAdminOptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, RdKafkaDeleter>;
using RdPartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, RdKafkaDeleter>;

using ConfOverrides = std::vector<std::pair<std::string, std::string>>;

// bootstrap.servers and kafka.rdkafka.* from the config, then `overrides` (kbridge's own settings
// that users may not change, e.g. enable.idempotence for the producer), and a log callback into
// spdlog. Throws std::runtime_error on an invalid property: called at start-up only.
RdConfPtr makeRdKafkaConf(const config::KafkaConfig& config, const ConfOverrides& overrides);

// Creates a client handle; throws std::runtime_error on failure (start-up only).
RdKafkaPtr makeRdKafkaClient(rd_kafka_type_t type, RdConfPtr conf);

// Broker queries shared by the clients (each blocks up to `timeoutMs`).
KafkaResult<Watermarks> queryWatermarks(rd_kafka_t* rk, const std::string& topic,
                                        std::int32_t partition, int timeoutMs);
// The first offset with a timestamp at or after `timestampMs`; the end of the partition when no
// record is that late.
KafkaResult<std::int64_t> queryOffsetForTime(rd_kafka_t* rk, const std::string& topic,
                                             std::int32_t partition, std::int64_t timestampMs,
                                             int timeoutMs);
KafkaResult<int> queryPartitionCount(rd_kafka_t* rk, const std::string& topic, int timeoutMs);

// librdkafka stops fetching a partition once its prefetch queue holds `queued.min.messages`
// (100,000) or `queued.max.messages.kbytes`, and looks at it again only when that handle's broker
// thread next wakes: up to a second later when nothing else happens on the connection (from
// librdkafka 2.2 the back-off is `fetch.queue.backoff.ms`, also a second by default). A resume
// does not wake it either. A reader faster than the fetcher refills drains the queue and then
// waits out the rest of that second. This sends a ListOffsets ("latest") for `partitions` through
// `rk`, which wakes the broker threads of their leaders, and they fetch again at once. It does
// not wait for the answer (librdkafka drops it): it is only a wake-up. Callers send at most one
// per kFetchWakeInterval for a reader that keeps draining the queue.
void wakeFetchers(rd_kafka_t* rk, const std::string& topic,
                  const std::vector<std::int32_t>& partitions);
inline constexpr std::chrono::milliseconds kFetchWakeInterval{50};

// Admin API requests (the admin client and the group-offsets client): options for `op` with a
// request timeout, and one request — `submit(queue)` sends it, the result event comes back on the
// queue (a time-out or request-level error is a failure), `read(event)` turns it into the result.
RdAdminOptionsPtr makeAdminOptions(rd_kafka_t* rk, rd_kafka_admin_op_t op, int timeoutMs);

template <class Submit, class Read>
auto callAdmin(rd_kafka_t* rk, int timeoutMs, Submit submit, Read read) -> decltype(read(nullptr)) {
  RdQueuePtr q(rd_kafka_queue_new(rk));
  submit(q.get());
  RdEventPtr ev(rd_kafka_queue_poll(q.get(), timeoutMs + 2000));
  if (!ev) {
    return fail(makeKafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, "Kafka admin request timed out"));
  }
  if (auto e = rd_kafka_event_error(ev.get())) {
    return fail(makeKafkaError(e, rd_kafka_event_error_string(ev.get())));
  }
  return read(ev.get());
}

}  // namespace kbridge::kafka
