#pragma once
// SourceRunner: runs the config's sources (issue 7) — http_poll and generator — on their
// schedules and on demand, and puts what they make into their streams exactly as PutRecords does:
// key = partition key, value = data, routed by MD5 of the key to the open shard whose hash-key
// range holds it, through the shared producer, a run finishing when Kafka has acknowledged (or
// failed) every record.
//
// Schedule: a source with interval_s > 0 runs at start(), then every interval_s (fixed rate; runs
// missed while one took long are skipped, not caught up). While its stream is missing it retries
// every min(interval_s, 5 s). Triggered runs do not move the schedule.
//
// Threading and lifecycle: start() starts one thread per source, so a slow URL delays only its own
// source; runs of one source never overlap. stop() cancels fetches in flight (within about a
// second), lets a put in flight finish (bounded by kAckTimeout), answers pending triggers with
// kCancelled and joins. Without start() nothing runs by itself: tests call runDue() and runOnce()
// with a ManualClock. The clock, fetcher, producer and metrics registry must outlive the runner.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "config/config.h"
#include "kafka/producer.h"
#include "sources/http_fetcher.h"
#include "sources/run_result.h"
#include "streams/stream_meta.h"

namespace kbridge::ops {
class MetricsRegistry;
}

namespace kbridge::sources {

// The stream's current metadata, or nullopt when it does not exist (the catalog in production).
using StreamLookup = std::function<std::optional<streams::StreamMeta>(const std::string& name)>;
// Random bits for ${random} (std::random_device-seeded by default).
using RandomBits = std::function<std::uint64_t()>;

class SourceRunner {
 public:
  // How long a run waits for Kafka's acknowledgements before it counts the rest as failed.
  static constexpr std::chrono::seconds kAckTimeout{60};
  // Retry interval while a source's stream is missing (when shorter than interval_s).
  static constexpr std::int64_t kStreamRetryMs = 5000;

  SourceRunner(std::shared_ptr<const config::Config> config, StreamLookup streams,
               kafka::RecordProducer& producer, HttpFetcher& fetcher, const Clock& clock,
               ops::MetricsRegistry* metrics, RandomBits random = {});
  ~SourceRunner();
  SourceRunner(const SourceRunner&) = delete;
  SourceRunner& operator=(const SourceRunner&) = delete;

  void start();
  void stop();

  // Runs every enabled source whose time has come, one after the other on this thread.
  void runDue();
  // Runs `name` now on this thread; nullopt when there is no such source.
  std::optional<RunResult> runOnce(const std::string& name);
  // Runs `name` as soon as its thread is free and calls `done` there with the result (or on this
  // thread when the runner is not started, or with kCancelled when it stops first). False when
  // there is no such source (`done` is not called).
  bool trigger(const std::string& name, std::function<void(RunResult)> done);

  // When `name` runs next by its schedule (epoch ms); nullopt when unscheduled or unknown.
  std::optional<std::int64_t> nextRunMs(const std::string& name) const;
  std::vector<std::string> names() const;

 private:
  struct Source;

  void runIfDue(Source& source);
  RunResult run(Source& source);
  void finish(Source& source, const RunResult& result, bool scheduled);
  void loop(Source& source);
  Source* find(const std::string& name) const;
  std::string randomText();

  std::shared_ptr<const config::Config> config_;
  StreamLookup streams_;
  kafka::RecordProducer& producer_;
  HttpFetcher& fetcher_;
  const Clock& clock_;
  RandomBits random_;
  std::mutex randomMutex_;
  std::vector<std::unique_ptr<Source>> sources_;
  std::atomic<bool> stopping_{false};
  bool started_ = false;
};

}  // namespace kbridge::sources
