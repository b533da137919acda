#include "sources/source_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <future>
#include <random>

#include "ops/metrics.h"
#include "sources/poll_records.h"
#include "sources/record_template.h"
#include "streams/routing.h"

namespace kbridge::sources {
namespace {

// PutRecords' limits, so a source never writes what a Kinesis client could not.
constexpr std::size_t kMaxPartitionKeyBytes = 256;
constexpr std::size_t kMaxDataBytes = 1024 * 1024;
constexpr std::size_t kRecordsPerProduce = 500;

constexpr std::size_t kOutcomeCount = std::size(kAllRunOutcomes);

bool writable(const streams::StreamMeta& meta) {
  return meta.status == streams::StreamStatus::kActive ||
         meta.status == streams::StreamStatus::kUpdating;
}

std::string_view typeName(config::SourceType type) {
  return type == config::SourceType::kHttpPoll ? "http_poll" : "generator";
}

}  // namespace

struct SourceRunner::Source {
  explicit Source(const config::SourceConfig& c) : config(c) {}

  const config::SourceConfig& config;
  std::optional<RecordTemplate> partitionKey;
  std::optional<RecordTemplate> record;   // generator only
  std::uint64_t count = 0;                // records rendered so far (${count}); under runMutex
  std::optional<RunOutcome> lastOutcome;  // under runMutex
  std::mutex runMutex;                    // one run at a time

  std::mutex mutex;  // guards nextDueMs and pending
  std::condition_variable wake;
  std::optional<std::int64_t> nextDueMs;
  std::deque<std::function<void(RunResult)>> pending;
  std::thread thread;

  prometheus::Counter* runs[kOutcomeCount] = {};
  prometheus::Counter* records = nullptr;
  prometheus::Counter* failedRecords = nullptr;
};

SourceRunner::SourceRunner(std::shared_ptr<const config::Config> config, StreamLookup streams,
                           kafka::RecordProducer& producer, HttpFetcher& fetcher,
                           const Clock& clock, ops::MetricsRegistry* metrics, RandomBits random)
    : config_(std::move(config)),
      streams_(std::move(streams)),
      producer_(producer),
      fetcher_(fetcher),
      clock_(clock),
      random_(std::move(random)) {
  if (!random_) {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    random_ = [engine] { return (*engine)(); };
  }
  prometheus::Family<prometheus::Counter>* runs = nullptr;
  prometheus::Family<prometheus::Counter>* records = nullptr;
  prometheus::Family<prometheus::Counter>* failed = nullptr;
  if (metrics) {
    runs = &metrics->counter("kbridge_source_runs_total",
                             "Runs of each source by outcome (ok, timeout, http_status, not_json, "
                             "fetch_failed, too_large, stream_missing, put_failed, cancelled).");
    records = &metrics->counter("kbridge_source_records_total",
                                "Records a source put into its stream (acknowledged by Kafka).");
    failed = &metrics->counter("kbridge_source_record_failures_total",
                               "Records a source made but could not put into its stream.");
  }
  const std::int64_t now = clock_.nowMillis();
  for (const auto& c : config_->sources) {
    auto source = std::make_unique<Source>(c);
    std::vector<std::string> errors;  // the config was validated: none expected
    source->partitionKey = RecordTemplate::compile(c.partitionKey, "partition_key", errors);
    if (c.type == config::SourceType::kGenerator) {
      source->record = RecordTemplate::compile(c.recordTemplate, "template", errors);
    }
    for (const auto& e : errors) spdlog::error("source {}: {}", c.name, e);
    if (c.enabled && c.intervalS > 0) source->nextDueMs = now;
    if (runs) {
      for (std::size_t i = 0; i < kOutcomeCount; ++i) {
        source->runs[i] = &runs->Add(
            {{"source", c.name}, {"outcome", std::string(outcomeName(kAllRunOutcomes[i]))}});
      }
      source->records = &records->Add({{"source", c.name}});
      source->failedRecords = &failed->Add({{"source", c.name}});
    }
    sources_.push_back(std::move(source));
  }
}

SourceRunner::~SourceRunner() {
  stop();
}

void SourceRunner::start() {
  if (started_) return;
  started_ = true;
  for (auto& source : sources_) {
    source->thread = std::thread([this, s = source.get()] { loop(*s); });
  }
}

void SourceRunner::stop() {
  stopping_ = true;
  for (auto& s : sources_) {
    std::lock_guard lock(s->mutex);
    s->wake.notify_all();
  }
  for (auto& s : sources_) {
    if (s->thread.joinable()) s->thread.join();
  }
  for (auto& s : sources_) {
    std::deque<std::function<void(RunResult)>> pending;
    {
      std::lock_guard lock(s->mutex);
      pending.swap(s->pending);
    }
    for (auto& done : pending) {
      RunResult cancelled;
      cancelled.source = s->config.name;
      cancelled.outcome = RunOutcome::kCancelled;
      cancelled.error = "kbridge is shutting down";
      cancelled.startedMs = clock_.nowMillis();
      done(std::move(cancelled));
    }
  }
}

SourceRunner::Source* SourceRunner::find(const std::string& name) const {
  for (const auto& s : sources_) {
    if (s->config.name == name) return s.get();
  }
  return nullptr;
}

std::vector<std::string> SourceRunner::names() const {
  std::vector<std::string> out;
  for (const auto& s : sources_) out.push_back(s->config.name);
  return out;
}

std::optional<std::int64_t> SourceRunner::nextRunMs(const std::string& name) const {
  Source* s = find(name);
  if (!s) return std::nullopt;
  std::lock_guard lock(s->mutex);
  return s->nextDueMs;
}

std::string SourceRunner::randomText() {
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::uint64_t bits = 0;
  {
    std::lock_guard lock(randomMutex_);
    bits = random_();
  }
  std::string out(8, '0');
  for (char& c : out) {
    c = kAlphabet[bits % 36];
    bits /= 36;
  }
  return out;
}

void SourceRunner::runDue() {
  for (auto& s : sources_) runIfDue(*s);
}

void SourceRunner::runIfDue(Source& s) {
  std::lock_guard run(s.runMutex);
  std::optional<std::int64_t> due;
  {
    std::lock_guard lock(s.mutex);
    if (s.nextDueMs && clock_.nowMillis() >= *s.nextDueMs) due = s.nextDueMs;
  }
  if (!due) return;
  const RunResult result = this->run(s);
  finish(s, result, /*scheduled=*/true);
  const std::int64_t now = clock_.nowMillis();
  const std::int64_t interval = static_cast<std::int64_t>(s.config.intervalS) * 1000;
  std::int64_t next = *due + interval;
  if (next <= now) next = now + interval;  // skip what was missed rather than catch up
  if (result.outcome == RunOutcome::kStreamMissing) {
    next = std::min(next, now + std::min(interval, kStreamRetryMs));
  }
  std::lock_guard lock(s.mutex);
  s.nextDueMs = next;
}

std::optional<RunResult> SourceRunner::runOnce(const std::string& name) {
  Source* s = find(name);
  if (!s) return std::nullopt;
  std::lock_guard run(s->runMutex);
  RunResult result = this->run(*s);
  finish(*s, result, /*scheduled=*/false);
  return result;
}

bool SourceRunner::trigger(const std::string& name, std::function<void(RunResult)> done) {
  Source* s = find(name);
  if (!s) return false;
  if (!started_) {
    done(*runOnce(name));
    return true;
  }
  {
    std::lock_guard lock(s->mutex);
    if (!stopping_) {
      s->pending.push_back(std::move(done));
      s->wake.notify_all();
      return true;
    }
  }
  RunResult cancelled;
  cancelled.source = name;
  cancelled.outcome = RunOutcome::kCancelled;
  cancelled.error = "kbridge is shutting down";
  cancelled.startedMs = clock_.nowMillis();
  done(std::move(cancelled));
  return true;
}

void SourceRunner::loop(Source& s) {
  std::unique_lock lock(s.mutex);
  while (!stopping_) {
    if (!s.pending.empty()) {
      auto done = std::move(s.pending.front());
      s.pending.pop_front();
      lock.unlock();
      RunResult result;
      {
        std::lock_guard run(s.runMutex);
        result = this->run(s);
        finish(s, result, /*scheduled=*/false);
      }
      done(std::move(result));
      lock.lock();
      continue;
    }
    const std::int64_t now = clock_.nowMillis();
    if (s.nextDueMs && now >= *s.nextDueMs) {
      lock.unlock();
      runIfDue(s);
      lock.lock();
      continue;
    }
    const std::int64_t wait =
        s.nextDueMs ? std::clamp<std::int64_t>(*s.nextDueMs - now, 1, 1000) : 1000;
    s.wake.wait_for(lock, std::chrono::milliseconds(wait));
  }
}

RunResult SourceRunner::run(Source& s) {
  RunResult result;
  result.source = s.config.name;
  result.startedMs = clock_.nowMillis();
  auto stream = streams_(s.config.stream);
  if (!stream || !writable(*stream)) {
    result.outcome = RunOutcome::kStreamMissing;
    result.error = "stream " + s.config.stream + " does not exist or is not ACTIVE";
    return result;
  }
  std::vector<std::string> data;
  if (s.config.type == config::SourceType::kHttpPoll) {
    FetchRequest request;
    request.url = s.config.url;
    request.connectTimeoutMs = s.config.connectTimeoutMs;
    request.timeoutMs = s.config.timeoutMs;
    request.maxBytes = s.config.maxResponseBytes;
    request.userAgent = s.config.userAgent;
    request.headers = s.config.headers;
    if (!request.headers.count("Accept")) request.headers["Accept"] = "application/json";
    auto polled =
        recordsOfResponse(fetcher_.fetch(request, stopping_), s.config.url, result.startedMs);
    if (polled.outcome != RunOutcome::kOk) {
      result.outcome = polled.outcome;
      result.error = std::move(polled.error);
      result.durationMs = clock_.nowMillis() - result.startedMs;
      return result;
    }
    data = std::move(polled.data);
  } else {
    data.push_back({});  // rendered with its partition key below
  }
  std::vector<kafka::OutgoingRecord> routed;
  routed.reserve(data.size());
  std::string firstError;
  for (auto& value : data) {
    TemplateContext context{result.startedMs, ++s.count, randomText(), s.config.name};
    if (s.record) value = s.record->renderData(context);
    std::string key = s.partitionKey ? s.partitionKey->renderData(context) : context.random;
    std::optional<std::uint32_t> shard;
    if (key.empty() || key.size() > kMaxPartitionKeyBytes) {
      firstError = "partition key must be 1 to 256 bytes: \"" + key + "\"";
    } else if (value.size() > kMaxDataBytes) {
      firstError = "record of " + std::to_string(value.size()) + " bytes exceeds 1 MiB";
    } else if (!(shard = streams::shardForPartitionKey(*stream, key))) {
      firstError = "no open shard of stream " + stream->name + " covers the key \"" + key + "\"";
    }
    if (!shard) {
      ++result.recordsFailed;
      continue;
    }
    kafka::OutgoingRecord record;
    record.topic = stream->topic;
    record.partition = static_cast<std::int32_t>(*shard);
    record.key = std::move(key);
    record.value = std::move(value);
    routed.push_back(std::move(record));
  }
  for (std::size_t begin = 0; begin < routed.size(); begin += kRecordsPerProduce) {
    const std::size_t end = std::min(routed.size(), begin + kRecordsPerProduce);
    std::vector<kafka::OutgoingRecord> batch(std::make_move_iterator(routed.begin() + begin),
                                             std::make_move_iterator(routed.begin() + end));
    // Shared with the delivery callback, which may outlive this wait.
    auto acked = std::make_shared<std::promise<std::vector<kafka::DeliveryResult>>>();
    auto future = acked->get_future();
    producer_.produce(std::move(batch), [acked](std::vector<kafka::DeliveryResult> results) {
      acked->set_value(std::move(results));
    });
    if (future.wait_for(kAckTimeout) != std::future_status::ready) {
      result.recordsFailed += end - begin;
      if (firstError.empty()) firstError = "Kafka did not acknowledge within 60 s";
      continue;
    }
    for (const auto& delivery : future.get()) {
      if (!delivery.error) {
        ++result.recordsPut;
        continue;
      }
      ++result.recordsFailed;
      if (firstError.empty()) firstError = "Kafka: " + delivery.error->message;
    }
  }
  if (result.recordsFailed > 0) {
    result.outcome = RunOutcome::kPutFailed;
    result.error = std::to_string(result.recordsFailed) + " of " +
                   std::to_string(result.recordsFailed + result.recordsPut) +
                   " records not put: " + firstError;
  }
  result.durationMs = clock_.nowMillis() - result.startedMs;
  return result;
}

void SourceRunner::finish(Source& s, const RunResult& result, bool scheduled) {
  const auto index = static_cast<std::size_t>(
      std::find(std::begin(kAllRunOutcomes), std::end(kAllRunOutcomes), result.outcome) -
      std::begin(kAllRunOutcomes));
  if (s.runs[index]) s.runs[index]->Increment();
  if (s.records && result.recordsPut) s.records->Increment(static_cast<double>(result.recordsPut));
  if (s.failedRecords && result.recordsFailed) {
    s.failedRecords->Increment(static_cast<double>(result.recordsFailed));
  }
  const char* how = scheduled ? "scheduled" : "triggered";
  if (result.outcome == RunOutcome::kOk) {
    spdlog::info("source {} ({} {}): put {} records into {}", s.config.name,
                 typeName(s.config.type), how, result.recordsPut, s.config.stream);
  } else if (result.outcome == RunOutcome::kStreamMissing && s.lastOutcome == result.outcome) {
    spdlog::debug("source {}: {}", s.config.name, result.error);  // said once already
  } else {
    spdlog::warn("source {} ({} {}): {}: {}", s.config.name, typeName(s.config.type), how,
                 outcomeName(result.outcome), result.error);
  }
  s.lastOutcome = result.outcome;
}

}  // namespace kbridge::sources
