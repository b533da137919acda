#include "runtime/shard_pipeline.h"

#include <algorithm>
#include <cassert>

namespace kbridge::runtime {

const char* discardReasonName(DiscardReason reason) {
  switch (reason) {
    case DiscardReason::kRetryAttemptsExhausted:
      return "RetryAttemptsExhausted";
    case DiscardReason::kRecordAgeExceeded:
      return "RecordAgeExceeded";
  }
  return "RetryAttemptsExhausted";
}

int laneOf(std::string_view partitionKey, int lanes) {
  if (lanes <= 1) return 0;
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : partitionKey) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<int>(h % static_cast<std::uint64_t>(lanes));
}

ShardPipeline::ShardPipeline(const PipelineOptions& options, std::int64_t nextOffset)
    : options_(options),
      lanes_(static_cast<std::size_t>(std::max(1, options.lanes))),
      nextOffset_(nextOffset) {}

void ShardPipeline::add(Record record, std::int64_t nowMs) {
  nextOffset_ = record.offset + 1;
  bufferedRecords_ += 1;
  bufferedBytes_ += record.data.size() + record.partitionKey.size();
  auto& lane = lanes_[static_cast<std::size_t>(laneOf(record.partitionKey, options_.lanes))];
  lane.queue.push_back(Entry{std::move(record), nowMs});
}

void ShardPipeline::skip(std::int64_t offset) {
  nextOffset_ = std::max(nextOffset_, offset + 1);
}

std::vector<PipelineTask> ShardPipeline::takeReady(std::int64_t nowMs) {
  std::vector<PipelineTask> tasks;
  for (std::size_t i = 0; i < lanes_.size(); ++i) {
    if (auto task = readyTask(static_cast<int>(i), lanes_[i], nowMs)) {
      tasks.push_back(std::move(*task));
    }
  }
  return tasks;
}

std::size_t ShardPipeline::attemptSize(const Lane& lane, bool* full) const {
  if (!lane.splits.empty()) {
    *full = true;
    return std::min(lane.splits.back(), lane.queue.size());
  }
  std::size_t n = 0, bytes = 0;
  const auto limit = static_cast<std::size_t>(options_.batchSize);
  for (const auto& e : lane.queue) {
    const std::size_t size = e.record.data.size() + e.record.partitionKey.size();
    if (n == limit || (n > 0 && bytes + size > options_.maxBatchBytes)) break;
    bytes += size;
    ++n;
  }
  *full = n == limit || n < lane.queue.size();
  return n;
}

std::optional<PipelineTask> ShardPipeline::readyTask(int index, Lane& lane, std::int64_t nowMs) {
  if (lane.busy || lane.queue.empty()) return std::nullopt;
  PipelineTask task;
  task.lane = index;
  bool expiredNow = false;
  if (lane.discard == 0 && options_.maxRecordAgeMs >= 0) {
    // Records older than max_record_age_s are not sent (again): they are given up on.
    std::size_t expired = 0;
    for (const auto& e : lane.queue) {
      if (nowMs - e.record.arrivalMs <= options_.maxRecordAgeMs) break;
      ++expired;
    }
    if (expired > 0) {
      lane.discard = expired;
      lane.discardReason = DiscardReason::kRecordAgeExceeded;
      lane.discardIsSplit = false;
      lane.splits.clear();
      lane.retries = 0;
      expiredNow = true;
    }
  }
  if (!expiredNow && nowMs < lane.notBeforeMs) return std::nullopt;
  if (lane.discard > 0) {
    task.kind = PipelineTask::Kind::kDiscard;
    task.reason = lane.discardReason;
    task.lastError = lane.lastError;
    task.invokeCount = lane.invokeCount;
    lane.attempt = lane.discard;
  } else {
    bool full = false;
    const std::size_t n = attemptSize(lane, &full);
    const bool firstTry = lane.retries == 0 && lane.splits.empty();
    if (!full && firstTry && nowMs < lane.queue.front().receivedMs + options_.batchingWindowMs) {
      return std::nullopt;  // the batching window is still open
    }
    lane.attempt = n;
    lane.invokeCount += 1;
  }
  task.records.reserve(lane.attempt);
  for (std::size_t i = 0; i < lane.attempt; ++i) task.records.push_back(lane.queue[i].record);
  lane.busy = true;
  return task;
}

void ShardPipeline::complete(int index, const DeliveryResult& result, std::int64_t nowMs) {
  Lane& lane = lanes_[static_cast<std::size_t>(index)];
  assert(lane.busy && lane.discard == 0);
  lane.busy = false;
  const std::size_t n = lane.attempt;
  lane.attempt = 0;
  if (result.outcome == Outcome::kOk || (result.outcome == Outcome::kFailed && result.firstFailed &&
                                         !options_.reportBatchItemFailures)) {
    // Without ReportBatchItemFailures a reply naming failed items is a successful invocation.
    pop(lane, n);
    if (!lane.splits.empty()) lane.splits.pop_back();
    lane.retries = 0;
    lane.invokeCount = 0;
    lane.lastError.clear();
    return;
  }
  lane.lastError = result.error;
  if (result.outcome == Outcome::kFailed) {
    if (result.firstFailed && *result.firstFailed > 0 && *result.firstFailed < n) {
      // ReportBatchItemFailures: what precedes the lowest failed record is delivered; the rest is
      // retried (with bisect_on_error Lambda bisects at that record: the same thing).
      const std::size_t delivered = *result.firstFailed;
      pop(lane, delivered);
      if (lane.splits.empty()) {
        lane.splits.push_back(n - delivered);
      } else {
        lane.splits.back() = n - delivered;
      }
      return retryOrDiscard(lane, n - delivered, nowMs);
    }
    if (options_.bisectOnError && n > 1) {
      if (!lane.splits.empty()) lane.splits.pop_back();
      lane.splits.push_back(n - n / 2);
      lane.splits.push_back(n / 2);
      stats_.bisects += 1;
      return;  // splits do not use up retries, and are tried at once
    }
  }
  retryOrDiscard(lane, n, nowMs);
}

void ShardPipeline::retryOrDiscard(Lane& lane, std::size_t size, std::int64_t nowMs) {
  lane.retries += 1;
  if (options_.maxRetryAttempts >= 0 && lane.retries > options_.maxRetryAttempts) {
    lane.discard = size;
    lane.discardReason = DiscardReason::kRetryAttemptsExhausted;
    lane.discardIsSplit = !lane.splits.empty();
    lane.notBeforeMs = nowMs;
    return;
  }
  lane.notBeforeMs = nowMs + backoff(lane.retries);
  stats_.retries += 1;
}

void ShardPipeline::completeDiscard(int index, bool sent, std::int64_t nowMs) {
  Lane& lane = lanes_[static_cast<std::size_t>(index)];
  assert(lane.busy && lane.discard > 0);
  lane.busy = false;
  lane.attempt = 0;
  if (!sent) {
    lane.notBeforeMs = nowMs + options_.backoffInitialMs * 10;  // the destination is unavailable
    return;
  }
  pop(lane, lane.discard);
  if (lane.discardIsSplit && !lane.splits.empty()) lane.splits.pop_back();
  lane.discard = 0;
  lane.discardIsSplit = false;
  lane.retries = 0;
  lane.invokeCount = 0;
  lane.lastError.clear();
  lane.notBeforeMs = nowMs;
}

void ShardPipeline::pop(Lane& lane, std::size_t count) {
  for (std::size_t i = 0; i < count && !lane.queue.empty(); ++i) {
    const auto& r = lane.queue.front().record;
    bufferedRecords_ -= 1;
    bufferedBytes_ -= r.data.size() + r.partitionKey.size();
    lane.queue.pop_front();
  }
}

std::int64_t ShardPipeline::backoff(int retries) const {
  std::int64_t delay = options_.backoffInitialMs;
  for (int i = 1; i < retries && delay < options_.backoffMaxMs; ++i) delay *= 2;
  return std::min(delay, options_.backoffMaxMs);
}

std::int64_t ShardPipeline::checkpoint() const {
  std::optional<std::int64_t> lowest;
  for (const auto& lane : lanes_) {
    if (lane.queue.empty()) continue;
    const auto offset = lane.queue.front().record.offset;
    if (!lowest || offset < *lowest) lowest = offset;
  }
  return lowest ? *lowest : nextOffset_;
}

std::optional<std::int64_t> ShardPipeline::nextDeadline() const {
  std::optional<std::int64_t> next;
  auto consider = [&next](std::int64_t t) {
    if (!next || t < *next) next = t;
  };
  for (const auto& lane : lanes_) {
    if (lane.busy || lane.queue.empty()) continue;
    if (lane.retries > 0 || lane.discard > 0 || !lane.splits.empty()) {
      consider(lane.notBeforeMs);
    } else {
      consider(
          std::max(lane.notBeforeMs, lane.queue.front().receivedMs + options_.batchingWindowMs));
    }
    if (options_.maxRecordAgeMs >= 0) {
      consider(lane.queue.front().record.arrivalMs + options_.maxRecordAgeMs + 1);
    }
  }
  return next;
}

bool ShardPipeline::busy() const {
  return std::any_of(lanes_.begin(), lanes_.end(), [](const Lane& l) { return l.busy; });
}

}  // namespace kbridge::runtime
