#include "runtime/mapping_worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <future>

#include "kafka/producer.h"
#include "runtime/failure_record.h"
#include "streams/catalog.h"
#include "streams/routing.h"
#include "streams/sequence_number.h"

namespace kbridge::runtime {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(100);
constexpr std::size_t kMaxPollRecords = 2000;
constexpr std::int64_t kCommitIntervalMs = 1000;
constexpr auto kFailureRecordTimeout = std::chrono::seconds(30);
constexpr int kMaxPoolThreads = 64;
constexpr auto kCancelWait = std::chrono::seconds(2);
// While paused, how often the group's control record is looked at (an in-memory read).
constexpr auto kPausedCheckInterval = std::chrono::milliseconds(100);
// At most this long for deliveries in flight to finish before leaving the group for a pause.
constexpr auto kPauseDrainMax = std::chrono::milliseconds(10000);

PipelineOptions pipelineOptions(const config::MappingConfig& m) {
  PipelineOptions o;
  o.batchSize = m.batchSize;
  o.batchingWindowMs = m.maxBatchingWindowMs;
  o.lanes = m.parallelizationFactor;
  o.bisectOnError = m.bisectOnError;
  o.maxRetryAttempts = m.maxRetryAttempts;
  o.maxRecordAgeMs = m.maxRecordAgeS < 0 ? -1 : std::int64_t{m.maxRecordAgeS} * 1000;
  o.reportBatchItemFailures = m.reportBatchItemFailures;
  o.backoffInitialMs = m.retryBackoffInitialMs;
  o.backoffMaxMs = std::max(m.retryBackoffMaxMs, m.retryBackoffInitialMs);
  return o;
}

kafka::StartFrom startFrom(config::StartingPosition p) {
  switch (p) {
    case config::StartingPosition::kTrimHorizon:
      return kafka::StartFrom::kEarliest;
    case config::StartingPosition::kAtTimestamp:
      return kafka::StartFrom::kTimestamp;
    case config::StartingPosition::kLatest:
      break;
  }
  return kafka::StartFrom::kLatest;
}

}  // namespace

MappingWorker::MappingWorker(Deps deps)
    : config_(std::move(deps.config)),
      mapping_(*deps.mapping),
      catalog_(deps.catalog),
      producer_(deps.producer),
      handler_(std::move(deps.handler)),
      filter_(std::move(deps.filter)),
      clock_(deps.clock),
      makeConsumer_(std::move(deps.makeConsumer)),
      options_(pipelineOptions(mapping_)) {
  context_.mappingName = mapping_.name;
  context_.streamName = mapping_.stream;
  context_.region = config_->kinesis.region;
  context_.accountId = config_->kinesis.accountId;
  context_.streamArn = "arn:aws:kinesis:" + context_.region + ":" + context_.accountId +
                       ":stream/" + mapping_.stream;
  context_.clock = clock_;
  context_.metrics = deps.metrics;
  if (deps.metrics) metrics_ = std::make_unique<ops::MappingMetrics>(*deps.metrics, mapping_.name);
}

MappingWorker::~MappingWorker() {
  stop();
}

void MappingWorker::start() {
  thread_ = std::thread([this] { run(); });
}

void MappingWorker::stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(stopMutex_);
    grace_ = grace;
    stopping_ = true;
  }
  stopSignal_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool MappingWorker::sleepUnlessStopping(std::chrono::milliseconds d) {
  std::unique_lock lock(stopMutex_);
  return !stopSignal_.wait_for(lock, d, [this] { return stopping_.load(); });
}

// One thread per lane of every shard, within bounds: the pool at start, and as shards arrive.
int MappingWorker::poolThreads(std::size_t shards) const {
  return std::clamp(static_cast<int>(shards) * options_.lanes, 1, kMaxPoolThreads);
}

bool MappingWorker::waitForStream() {
  bool warned = false;
  while (!stopping_) {
    if (catalog_->sync()) {
      if (auto stream = catalog_->find(mapping_.stream)) {
        generation_ = stream->generation;
        topic_ = stream->topic;
        pool_ = std::make_unique<ThreadPool>(poolThreads(stream->shards.size()));
        return true;
      }
    }
    if (!warned) {
      spdlog::warn("mapping {}: stream {} does not exist (yet); waiting for it", mapping_.name,
                   mapping_.stream);
      warned = true;
    }
    if (!sleepUnlessStopping(std::chrono::seconds(2))) break;
  }
  return false;
}

void MappingWorker::run() {
  if (!waitForStream()) return;
  for (;;) {
    const std::string why = handler_->open(context_);
    if (why.empty()) break;
    spdlog::error("mapping {}: handler {} cannot open: {}; retrying", mapping_.name,
                  mapping_.handlerType, why);
    if (!sleepUnlessStopping(std::chrono::seconds(5))) return;
  }
  while (!stopping_) {
    // A pause in force at start (a replay while this instance was down or starting) is honoured
    // before the group is joined at all.
    if (!holdWhilePaused()) break;
    if (!joinGroup()) break;
    while (!stopping_ && !pauseRequested()) pollOnce();
    if (stopping_) break;
    leaveGroupForPause();
  }
  if (consumer_) {
    // Graceful shutdown: nothing new starts (stopping_), what runs may finish.
    std::vector<std::shared_ptr<Shard>> owned;
    {
      std::lock_guard lock(mutex_);
      for (auto& [_, s] : shards_) owned.push_back(s);
    }
    if (!waitIdle(owned, grace_)) {
      spdlog::warn(
          "mapping {}: deliveries still running after {} ms; cancelling them, their records "
          "stay uncommitted",
          mapping_.name, grace_.count());
      handler_->cancel();
      (void)waitIdle(owned, kCancelWait);
    }
    handler_->flush();
    commitShards(owned);
    consumer_->close();  // onRevoked: commits again and releases the shards
  }
  // Not in the group: never joined, or stopped while paused (the pause committed and left).
  pool_.reset();  // joins; a delivery abandoned above finishes here
  consumer_.reset();
  handler_->close();
  spdlog::info(
      "mapping {}: stopped; {} invocations, {} records delivered, {} filtered, {} given up on, "
      "{} errors",
      mapping_.name, counters_.invocations.load(), counters_.delivered.load(),
      counters_.filtered.load(), counters_.discarded.load(), counters_.errors.load());
}

bool MappingWorker::joinGroup() {
  kafka::GroupConsumerOptions options;
  options.groupId = mapping_.consumerGroup;
  options.topic = topic_;
  options.clientId = "kbridge-" + mapping_.name;
  options.startFrom = startFrom(mapping_.startingPosition);
  options.startTimestampMs = mapping_.startingTimestampMs;
  try {
    consumer_ = makeConsumer_(options, *this);
  } catch (const std::exception& e) {
    spdlog::error("mapping {}: {}", mapping_.name, e.what());
    return false;
  }
  spdlog::info("mapping {}: {} → {} handler, group {}", mapping_.name, mapping_.stream,
               mapping_.handlerType, mapping_.consumerGroup);
  return true;
}

PauseGate::Change MappingWorker::observePause() {
  const auto control = catalog_->groupControl(mapping_.consumerGroup);
  const auto now = clock_->nowMillis();
  std::lock_guard lock(gateMutex_);
  const auto change = gate_.observe(control, now);
  switch (change) {
    case PauseGate::Change::kNone:
      break;
    case PauseGate::Change::kPause:
      spdlog::info(
          "mapping {}: pausing for replay {} ({}): group {} is left until resumed, at "
          "most {} ms",
          mapping_.name, gate_.replayId(), gate_.reason(), mapping_.consumerGroup,
          std::max<std::int64_t>(0, gate_.deadlineMs() - now));
      break;
    case PauseGate::Change::kResume:
      spdlog::info(
          "mapping {}: resumed by replay {}; rejoining group {} from its committed offsets",
          mapping_.name, control ? control->replayId : gate_.replayId(), mapping_.consumerGroup);
      break;
    case PauseGate::Change::kExpired:
      spdlog::warn(
          "mapping {}: pause of replay {} passed its deadline without a resume; "
          "resuming by itself",
          mapping_.name, gate_.replayId());
      break;
  }
  return change;
}

bool MappingWorker::pauseRequested() {
  (void)observePause();
  std::lock_guard lock(gateMutex_);
  return gate_.paused();
}

bool MappingWorker::holdWhilePaused() {
  while (!stopping_) {
    (void)observePause();
    {
      std::lock_guard lock(gateMutex_);
      if (!gate_.paused()) return true;
    }
    if (!sleepUnlessStopping(kPausedCheckInterval)) break;
  }
  return false;
}

void MappingWorker::leaveGroupForPause() {
  // As at a rebalance: nothing new starts, deliveries in flight finish (bounded by the pause's
  // deadline so replay's wait for an empty group can succeed), what is delivered and durable is
  // committed, and the member leaves the group. The handler stays open. Deliveries that do not
  // finish in time are not cancelled (a cancelled handler stays cancelled); they finish later and
  // their records are delivered again after the resume.
  std::vector<std::shared_ptr<Shard>> owned;
  {
    std::lock_guard lock(mutex_);
    for (auto& [_, s] : shards_) {
      s->revoked = true;
      owned.push_back(s);
    }
  }
  std::int64_t deadline = 0;
  {
    std::lock_guard lock(gateMutex_);
    deadline = gate_.deadlineMs();
  }
  const auto budget = std::chrono::milliseconds(
      std::clamp<std::int64_t>((deadline - clock_->nowMillis()) / 4, 0, kPauseDrainMax.count()));
  if (!waitIdle(owned, std::min(budget, grace_))) {
    spdlog::warn("mapping {}: deliveries still running at pause; their records stay uncommitted",
                 mapping_.name);
  }
  handler_->flush();
  commitShards(owned);
  leaving_ = true;
  consumer_->close();  // onRevoked: commits again and releases the shards
  leaving_ = false;
  consumer_.reset();
  spdlog::info("mapping {}: paused; left group {} with {} shard(s) committed", mapping_.name,
               mapping_.consumerGroup, owned.size());
}

MappingWorker::PauseStatus MappingWorker::pauseStatus() const {
  std::lock_guard lock(gateMutex_);
  return PauseStatus{gate_.paused(), gate_.replayId(), gate_.reason(), gate_.deadlineMs()};
}

void MappingWorker::pollOnce() {
  auto timeout = kPollInterval;
  {
    std::lock_guard lock(mutex_);
    const auto now = clock_->nowMillis();
    for (auto& [_, shard] : shards_) {
      if (auto deadline = shard->pipeline.nextDeadline()) {
        timeout = std::min(timeout,
                           std::chrono::milliseconds(std::max<std::int64_t>(*deadline - now, 0)));
      }
    }
  }
  auto polled = consumer_->poll(timeout, kMaxPollRecords);
  std::vector<std::shared_ptr<Shard>> all;
  {
    std::lock_guard lock(mutex_);
    const auto now = clock_->nowMillis();
    if (polled) {
      for (auto& r : *polled) {
        auto it = shards_.find(r.partition);
        if (it == shards_.end()) continue;  // not (or no longer) ours
        Record record;
        record.offset = r.offset;
        record.sequenceNumber = sequenceNumberOf(r.partition, r.offset);
        record.partitionKey = std::move(r.key);
        record.data = std::move(r.value);
        record.arrivalMs = r.timestampMs;
        if (filter_ && !filter_->matches(record)) {
          counters_.filtered += 1;
          if (metrics_) metrics_->filtered.Increment();
          it->second->pipeline.skip(r.offset);
          continue;
        }
        it->second->pipeline.add(std::move(record), now);
      }
    }
    for (auto& [_, shard] : shards_) {
      dispatch(shard, now);
      all.push_back(shard);
    }
  }
  applyBackPressure();
  const auto now = clock_->nowMillis();
  if (now - lastCommitMs_ >= kCommitIntervalMs) {
    lastCommitMs_ = now;
    commitShards(all);
  }
}

void MappingWorker::dispatch(const std::shared_ptr<Shard>& shard, std::int64_t now) {
  if (shard->revoked || stopping_) return;
  for (auto& task : shard->pipeline.takeReady(now)) {
    pool_->post(
        [this, shard, task = std::move(task)]() mutable { runTask(shard, std::move(task)); });
  }
}

void MappingWorker::runTask(std::shared_ptr<Shard> shard, PipelineTask task) {
  if (task.kind == PipelineTask::Kind::kDiscard) {
    const bool sent = sendFailureRecord(*shard, task);
    std::lock_guard lock(mutex_);
    if (sent) {
      counters_.discarded += task.records.size();
      if (metrics_) metrics_->onFailureRecords.Increment(static_cast<double>(task.records.size()));
    }
    shard->pipeline.completeDiscard(task.lane, sent, clock_->nowMillis());
    dispatch(shard, clock_->nowMillis());
    taskDone_.notify_all();
    return;
  }
  counters_.invocations += 1;
  if (metrics_) {
    metrics_->invocations.Increment();
    metrics_->batchSize.Observe(static_cast<double>(task.records.size()));
    if (shard->iteratorAge && !task.records.empty()) {
      const auto age = clock_->nowMillis() - task.records.back().arrivalMs;
      shard->iteratorAge->Set(static_cast<double>(std::max<std::int64_t>(0, age)) / 1000.0);
    }
  }
  Batch batch;
  batch.shardId = shard->shardId;
  batch.partition = shard->partition;
  batch.records = task.records;
  DeliveryResult result;
  try {
    result = handler_->deliver(batch);
  } catch (const std::exception& e) {
    result = DeliveryResult::failed(std::string("handler threw: ") + e.what());
  }
  if (result.outcome == Outcome::kOk) {
    counters_.delivered += task.records.size();
    if (metrics_) metrics_->delivered.Increment(static_cast<double>(task.records.size()));
  } else {
    counters_.errors += 1;
    if (metrics_) metrics_->errors.Increment();
    spdlog::log(result.outcome == Outcome::kRetryLater ? spdlog::level::info : spdlog::level::warn,
                "mapping {}: {} batch of {} from {} (first {}): {}", mapping_.name,
                result.outcome == Outcome::kRetryLater ? "retrying" : "failed", task.records.size(),
                shard->shardId, task.records.front().sequenceNumber, result.error);
  }
  std::lock_guard lock(mutex_);
  const auto before = shard->pipeline.stats();
  shard->pipeline.complete(task.lane, result, clock_->nowMillis());
  if (metrics_) {
    const auto& after = shard->pipeline.stats();
    if (after.retries != before.retries)
      metrics_->retries.Increment(static_cast<double>(after.retries - before.retries));
    if (after.bisects != before.bisects)
      metrics_->bisects.Increment(static_cast<double>(after.bisects - before.bisects));
  }
  dispatch(shard, clock_->nowMillis());
  taskDone_.notify_all();
}

bool MappingWorker::sendFailureRecord(const Shard& shard, const PipelineTask& task) {
  const auto& onFailure = mapping_.onFailure;
  if (!onFailure) {
    spdlog::warn("mapping {}: gave up on {} records of {} ({}), no on_failure destination: {}",
                 mapping_.name, task.records.size(), shard.shardId, discardReasonName(task.reason),
                 task.lastError);
    return true;
  }
  kafka::OutgoingRecord out;
  out.key = shard.shardId;
  out.value = failureRecordJson(context_, shard.shardId, task, onFailure->includeRecords,
                                clock_->nowMillis());
  if (!onFailure->stream.empty()) {
    auto stream = catalog_->find(onFailure->stream);
    if (!stream) {
      spdlog::error("mapping {}: on_failure stream {} does not exist; holding {} records",
                    mapping_.name, onFailure->stream, task.records.size());
      return false;
    }
    auto shardIndex = streams::shardForPartitionKey(*stream, out.key);
    if (!shardIndex) return false;
    out.topic = stream->topic;
    out.partition = static_cast<std::int32_t>(*shardIndex);
  } else {
    out.topic = onFailure->topic;
    out.partition = -1;  // librdkafka's partitioner
  }
  auto done = std::make_shared<std::promise<bool>>();
  auto stored = done->get_future();
  std::vector<kafka::OutgoingRecord> batch;
  batch.push_back(std::move(out));
  producer_->produce(std::move(batch), [done](std::vector<kafka::DeliveryResult> results) {
    done->set_value(!results.empty() && !results.front().error);
  });
  if (stored.wait_for(kFailureRecordTimeout) != std::future_status::ready || !stored.get()) {
    spdlog::error("mapping {}: cannot write the failure record to on_failure; holding {} records",
                  mapping_.name, task.records.size());
    return false;
  }
  spdlog::warn("mapping {}: {} records of {} sent to on_failure ({})", mapping_.name,
               task.records.size(), shard.shardId, discardReasonName(task.reason));
  return true;
}

void MappingWorker::commitShards(const std::vector<std::shared_ptr<Shard>>& shards) {
  kafka::PartitionOffsets offsets;
  {
    std::lock_guard lock(mutex_);
    for (const auto& shard : shards) {
      std::int64_t offset = shard->pipeline.checkpoint();
      if (auto durable = handler_->durableOffset(shard->partition)) {
        offset = std::min(offset, *durable);
      }
      if (offset >= 0 && offset != shard->committed) offsets.emplace_back(shard->partition, offset);
    }
  }
  if (offsets.empty()) return;
  if (auto status = consumer_->commit(offsets); !status) {
    spdlog::warn("mapping {}: commit failed: {}", mapping_.name, status.error().message);
    return;
  }
  std::lock_guard lock(mutex_);
  for (const auto& [partition, offset] : offsets) {
    if (auto it = shards_.find(partition); it != shards_.end()) it->second->committed = offset;
  }
}

void MappingWorker::applyBackPressure() {
  // Reading stops for a shard holding more than it can hand out soon; it resumes at half.
  const std::size_t highRecords = std::max<std::size_t>(
      static_cast<std::size_t>(mapping_.batchSize) * options_.lanes * 4, 20000);
  constexpr std::size_t kHighBytes = 64 * 1024 * 1024;
  std::vector<std::int32_t> pause, resume;
  {
    std::lock_guard lock(mutex_);
    for (auto& [p, shard] : shards_) {
      const auto records = shard->pipeline.bufferedRecords();
      const auto bytes = shard->pipeline.bufferedBytes();
      if (!shard->paused && (records > highRecords || bytes > kHighBytes)) {
        shard->paused = true;
        pause.push_back(p);
      } else if (shard->paused && records < highRecords / 2 && bytes < kHighBytes / 2) {
        shard->paused = false;
        resume.push_back(p);
      }
    }
  }
  consumer_->pause(pause);
  consumer_->resume(resume);
}

bool MappingWorker::waitIdle(const std::vector<std::shared_ptr<Shard>>& shards,
                             std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return taskDone_.wait_for(lock, timeout, [&] {
    return std::none_of(shards.begin(), shards.end(),
                        [](const auto& s) { return s->pipeline.busy(); });
  });
}

void MappingWorker::onAssigned(const kafka::PartitionOffsets& partitions) {
  std::lock_guard lock(mutex_);
  for (const auto& [partition, offset] : partitions) {
    auto shard = std::make_shared<Shard>(
        partition, streams::shardIdName(static_cast<std::uint32_t>(partition)), options_, offset);
    shard->committed = offset;
    if (metrics_) shard->iteratorAge = &metrics_->iteratorAge(shard->shardId);
    shards_[partition] = shard;
  }
  // The pool was sized by the stream's shards when the mapping started; an adopted topic may have
  // gained partitions since (app/adopted_streams.h), and each needs its lanes.
  if (pool_) pool_->growTo(poolThreads(shards_.size()));
  spdlog::info("mapping {}: assigned {} shard(s)", mapping_.name, partitions.size());
}

void MappingWorker::onRevoked(const std::vector<std::int32_t>& partitions) {
  std::vector<std::shared_ptr<Shard>> going;
  {
    std::lock_guard lock(mutex_);
    for (auto p : partitions) {
      if (auto it = shards_.find(p); it != shards_.end()) {
        it->second->revoked = true;  // no new task starts
        going.push_back(it->second);
      }
    }
  }
  // At shutdown run() has already waited for (or cancelled) what was in flight.
  // At a pause leaveGroupForPause() has already waited for what was in flight.
  if (!waitIdle(going, stopping_ || leaving_ ? std::chrono::milliseconds(0) : grace_)) {
    spdlog::warn(
        "mapping {}: deliveries still running at rebalance; their records stay "
        "uncommitted",
        mapping_.name);
  }
  commitShards(going);
  std::lock_guard lock(mutex_);
  for (const auto& shard : going) {
    handler_->release(shard->partition);
    shards_.erase(shard->partition);
  }
  spdlog::info("mapping {}: released {} shard(s)", mapping_.name, going.size());
}

std::string MappingWorker::sequenceNumberOf(std::int32_t partition, std::int64_t offset) const {
  return streams::SequenceNumber{generation_, static_cast<std::uint32_t>(partition),
                                 static_cast<std::uint64_t>(offset)}
      .toString();
}

}  // namespace kbridge::runtime
