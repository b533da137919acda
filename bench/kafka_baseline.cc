// kafka_baseline — what raw librdkafka does with the records the Kinesis workloads send, on the
// same broker: the yardstick for kbridge's PutRecords and GetRecords.
//
//   kafka_baseline --bootstrap 127.0.0.1:PORT --topic T [--label L] MODE...
//
//   --create                  Creates T (1 partition, replication factor 1; an existing T is fine).
//   --mode produce            --connections N workers share one producer configured as kbridge's
//                             (idempotent, acks=all, linger.ms=0, copy of each payload). Each
//                             worker produces --batch records (default 500) of --record-bytes bytes
//                             (default 100) to partition 0, waits for all their delivery reports —
//                             as one PutRecords of 500 does — and repeats for --warmup + --duration
//                             seconds. Latency = one batch, produce call to last report.
//                             --max-records N stops after N delivered records (a fill; no warm-up).
//                             --linger-ms X overrides linger.ms (fractions allowed) to explore the
//                             latency/throughput trade-off of the producer setting.
//   --mode consume            Reads partition 0 from the beginning until --expect records (one
//                             pass) and starts new passes while --duration has not elapsed.
//
// Prints one `result ...` line like kinesis_load (with broker_cpu_pct when --broker-pid is given).
// Only loopback bootstrap servers are accepted.

#include <arpa/inet.h>
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.h"

namespace {

using bench::Clock;

struct Options {
  std::string bootstrap, topic, mode, label;
  bool create = false;
  int connections = 1, batch = 500, recordBytes = 100;
  double duration = 10, warmup = 1;
  long long maxRecords = 0, expect = 0;
  std::string lingerMs = "0";  // kbridge's producer setting
  int brokerPid = 0;
};

[[noreturn]] void usage(const std::string& msg) {
  std::cerr << "kafka_baseline: " << msg
            << "\n(see the comment at the top of bench/kafka_baseline.cc)\n";
  std::exit(2);
}

[[noreturn]] void die(const std::string& msg) {
  std::cerr << "kafka_baseline: " << msg << "\n";
  std::exit(1);
}

struct RkDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using RkPtr = std::unique_ptr<rd_kafka_t, RkDeleter>;

RkPtr makeClient(rd_kafka_type_t type, const Options& o,
                 std::vector<std::pair<std::string, std::string>> props,
                 void (*dr)(rd_kafka_t*, const rd_kafka_message_t*, void*) = nullptr) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  props.insert(props.begin(), {"bootstrap.servers", o.bootstrap});
  for (auto& [k, v] : props)
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      die(k + ": " + err);
  if (dr) rd_kafka_conf_set_dr_msg_cb(conf, dr);
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) die(std::string("rd_kafka_new: ") + err);
  return RkPtr(rk);
}

int createTopic(const Options& o) {
  auto rk = makeClient(RD_KAFKA_PRODUCER, o, {});
  char err[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(o.topic.c_str(), 1, 1, err, sizeof err);
  if (!nt) die(err);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk.get());
  rd_kafka_CreateTopics(rk.get(), &nt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30'000);
  int rc = 1;
  if (!ev) {
    std::cerr << "kafka_baseline: CreateTopics timed out\n";
  } else if (rd_kafka_event_error(ev)) {
    std::cerr << "kafka_baseline: CreateTopics: " << rd_kafka_event_error_string(ev) << "\n";
  } else {
    size_t n = 0;
    const rd_kafka_topic_result_t** res =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    rd_kafka_resp_err_t e = n ? rd_kafka_topic_result_error(res[0]) : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      std::cout << "topic " << o.topic << " ready\n";
      rc = 0;
    } else {
      std::cerr << "kafka_baseline: CreateTopics: " << rd_kafka_err2str(e) << "\n";
    }
  }
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  return rc;
}

// ---- produce -------------------------------------------------------------------------------

// One worker's outstanding batch: delivery reports count down, the worker waits for zero.
struct Batch {
  std::mutex mu;
  std::condition_variable cv;
  int remaining = 0;
  int failed = 0;
};

void onDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* b = static_cast<Batch*>(m->_private);
  std::lock_guard lock(b->mu);
  if (m->err) ++b->failed;
  if (--b->remaining == 0) b->cv.notify_one();
}

int runProduce(const Options& o) {
  bool fill = o.maxRecords > 0;
  double warmup = fill ? 0 : o.warmup;
  auto rk = makeClient(RD_KAFKA_PRODUCER, o,
                       {{"client.id", "kbridge-bench-baseline"},
                        {"acks", "all"},
                        {"enable.idempotence", "true"},
                        {"linger.ms", o.lingerMs},
                        {"message.timeout.ms", "30000"},
                        {"queue.buffering.max.kbytes", "262144"}},
                       onDelivery);
  std::atomic<bool> stopPoll{false};
  std::thread poller([&] {
    while (!stopPoll) rd_kafka_poll(rk.get(), 100);
  });

  // The same shape of data as kinesis_load: 4 precomputed batches per worker, distinct keys.
  struct Rec {
    std::string key;
    std::vector<unsigned char> value;
  };
  std::vector<std::vector<std::vector<Rec>>> data(static_cast<size_t>(o.connections));
  for (int c = 0; c < o.connections; ++c)
    for (int v = 0; v < 4; ++v) {
      std::vector<Rec> batch;
      for (int i = 0; i < o.batch; ++i)
        batch.push_back(
            {"pk-" + std::to_string(c) + "-" + std::to_string(v) + "-" + std::to_string(i),
             bench::payload(static_cast<size_t>(o.recordBytes), (c * 1000003ull + v) * 7919 + i)});
      data[static_cast<size_t>(c)].push_back(std::move(batch));
    }

  std::atomic<long long> tickets{fill ? (o.maxRecords + o.batch - 1) / o.batch : -1};
  std::vector<bench::Totals> totals(static_cast<size_t>(o.connections));
  auto start = Clock::now();
  auto measureFrom =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup));
  auto end = measureFrom +
             std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  std::vector<std::thread> workers;
  for (int c = 0; c < o.connections; ++c) {
    workers.emplace_back([&, c] {
      auto& t = totals[static_cast<size_t>(c)];
      Batch b;
      for (size_t n = 0;; ++n) {
        auto t0 = Clock::now();
        if (t0 >= end) break;
        if (fill && tickets.fetch_sub(1) <= 0) break;
        const auto& recs = data[static_cast<size_t>(c)][n % 4];
        {
          std::lock_guard lock(b.mu);
          b.remaining = static_cast<int>(recs.size());
          b.failed = 0;
        }
        int notQueued = 0;
        for (const auto& r : recs) {
          rd_kafka_resp_err_t err = rd_kafka_producev(
              rk.get(), RD_KAFKA_V_TOPIC(o.topic.c_str()), RD_KAFKA_V_PARTITION(0),
              RD_KAFKA_V_KEY(r.key.data(), r.key.size()),
              RD_KAFKA_V_VALUE(const_cast<unsigned char*>(r.value.data()), r.value.size()),
              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&b), RD_KAFKA_V_END);
          if (err) {
            ++notQueued;
            std::lock_guard lock(b.mu);
            --b.remaining;
            ++b.failed;
          }
        }
        if (notQueued)
          std::cerr << "kafka_baseline: produce failed for " << notQueued << " records\n";
        int failed;
        {
          std::unique_lock lock(b.mu);
          b.cv.wait(lock, [&] { return b.remaining == 0; });
          failed = b.failed;
        }
        auto t1 = Clock::now();
        if (t0 < measureFrom || t1 > end) continue;
        ++t.requests;
        t.records += static_cast<uint64_t>(o.batch - failed);
        t.bytes += static_cast<uint64_t>(o.batch - failed) * static_cast<uint64_t>(o.recordBytes);
        t.failedRecords += static_cast<uint64_t>(failed);
        t.latency.add(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
      }
    });
  }
  bench::CpuMeter broker(o.brokerPid);
  std::this_thread::sleep_until(measureFrom);
  double cpu0 = bench::selfCpuSeconds();
  broker.start();
  for (auto& w : workers) w.join();
  broker.stop();
  double secs = fill ? bench::secondsSince(start) : o.duration;
  double cpu = bench::selfCpuSeconds() - cpu0;
  stopPoll = true;
  poller.join();
  rd_kafka_flush(rk.get(), 10'000);
  bench::Totals all;
  for (auto& t : totals) {
    all.requests += t.requests;
    all.records += t.records;
    all.bytes += t.bytes;
    all.failedRecords += t.failedRecords;
    all.latency.merge(t.latency);
  }
  std::string line = bench::resultLine(o.label.empty() ? "produce" : o.label, all, secs, cpu);
  broker.describe(line, "broker_cpu_pct");
  std::cout << line << std::endl;
  if (fill && static_cast<long long>(all.records) < o.maxRecords) return 1;
  return all.failedRecords ? 1 : 0;
}

// ---- consume -------------------------------------------------------------------------------

int runConsume(const Options& o) {
  if (o.expect <= 0) usage("--mode consume needs --expect N");
  auto rk =
      makeClient(RD_KAFKA_CONSUMER, o,
                 {{"client.id", "kbridge-bench-baseline"},
                  {"group.id", "kbridge-bench-baseline"},
                  {"enable.auto.commit", "false"},
                  {"enable.partition.eof", "true"},
                  // Each pass ends at the end of the partition; a short long-poll there keeps the
                  // re-assignment of the next pass from waiting up to 500 ms (the default).
                  {"fetch.wait.max.ms", "10"}});
  bench::Totals t;
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(o.duration));
  auto hardCap = deadline + std::chrono::seconds(60);
  double cpu0 = bench::selfCpuSeconds();
  bench::CpuMeter broker(o.brokerPid);
  broker.start();
  int passes = 0, rc = 0;
  while (Clock::now() < deadline && rc == 0) {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, o.topic.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_resp_err_t err = rd_kafka_assign(rk.get(), list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err) die(std::string("assign: ") + rd_kafka_err2str(err));
    long long got = 0;
    while (got < o.expect && Clock::now() < hardCap) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 1000);
      if (!m) continue;
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        rd_kafka_message_destroy(m);
        std::cerr << "kafka_baseline: end of partition after " << got << " of " << o.expect
                  << " records\n";
        rc = 1;
        break;
      }
      if (m->err) {
        std::cerr << "kafka_baseline: consume: " << rd_kafka_message_errstr(m) << "\n";
        ++t.errors;
      } else {
        ++got;
        ++t.records;
        t.bytes += m->len;
      }
      rd_kafka_message_destroy(m);
    }
    ++passes;
    if (got < o.expect) rc = 1;
  }
  double secs = bench::secondsSince(start);
  broker.stop();
  rd_kafka_assign(rk.get(), nullptr);
  std::string line = bench::resultLine(o.label.empty() ? "consume" : o.label, t, secs,
                                       bench::selfCpuSeconds() - cpu0);
  line += " passes=" + std::to_string(passes);
  broker.describe(line, "broker_cpu_pct");
  std::cout << line << std::endl;
  rd_kafka_consumer_close(rk.get());
  return rc || t.errors ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--bootstrap")
      o.bootstrap = next();
    else if (a == "--topic")
      o.topic = next();
    else if (a == "--mode")
      o.mode = next();
    else if (a == "--label")
      o.label = next();
    else if (a == "--broker-pid")
      o.brokerPid = std::stoi(next());
    else if (a == "--create")
      o.create = true;
    else if (a == "--connections")
      o.connections = std::stoi(next());
    else if (a == "--batch")
      o.batch = std::stoi(next());
    else if (a == "--record-bytes")
      o.recordBytes = std::stoi(next());
    else if (a == "--duration")
      o.duration = std::stod(next());
    else if (a == "--warmup")
      o.warmup = std::stod(next());
    else if (a == "--max-records")
      o.maxRecords = std::stoll(next());
    else if (a == "--expect")
      o.expect = std::stoll(next());
    else if (a == "--linger-ms")
      o.lingerMs = next();
    else
      usage("unknown argument " + a);
  }
  if (o.bootstrap.empty() || o.topic.empty()) usage("--bootstrap and --topic are required");
  // Loopback only: every comma-separated host must be 127.x.y.z or localhost.
  for (size_t p = 0; p < o.bootstrap.size();) {
    size_t comma = o.bootstrap.find(',', p);
    std::string hp =
        o.bootstrap.substr(p, comma == std::string::npos ? std::string::npos : comma - p);
    std::string host = hp.substr(0, hp.rfind(':'));
    in_addr a{};
    if (host != "localhost" &&
        (inet_pton(AF_INET, host.c_str(), &a) != 1 || (ntohl(a.s_addr) >> 24) != 127))
      usage("only loopback bootstrap servers are allowed: " + hp);
    if (comma == std::string::npos) break;
    p = comma + 1;
  }
  if (o.connections < 1 || o.connections > 256) usage("--connections must be 1..256");
  if (o.duration <= 0 || o.duration > 600) usage("--duration must be in (0, 600] seconds");
  if (o.create) return createTopic(o);
  if (o.mode == "produce") return runProduce(o);
  if (o.mode == "consume") return runConsume(o);
  usage("one of --create or --mode produce|consume is required");
}
