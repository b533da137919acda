#include "streams/shard_limits.h"

#include <algorithm>
#include <initializer_list>

namespace kbridge::streams {
namespace {

constexpr std::int64_t kIdleShardMs = 60'000;

void refill(double& tokens, double rate, std::int64_t elapsedMs) {
  tokens = std::min(rate, tokens + rate * static_cast<double>(elapsedMs) / 1000.0);
}

// Refills buckets last refilled at `lastRefillMs` up to `now`.
template <class Bucket>
void refillUntil(std::initializer_list<Bucket*> buckets, std::int64_t& lastRefillMs,
                 std::int64_t now) {
  if (now <= lastRefillMs) return;
  for (Bucket* bucket : buckets) refill(bucket->tokens, bucket->rate, now - lastRefillMs);
  lastRefillMs = now;
}

}  // namespace

ShardLimits::ShardLimits(const ShardLimitRates& rates, const Clock& clock)
    : rates_(rates), clock_(clock), lastSweepMs_(clock.nowMillis()) {}

ShardLimits::ShardBuckets& ShardLimits::bucketsFor(const std::string& stream, std::uint32_t shard,
                                                   std::int64_t now) {
  auto [it, added] = shards_.try_emplace({stream, shard});
  ShardBuckets& b = it->second;
  if (added) {
    // A shard starts with a full second's allowance.
    b.writeBytes = {rates_.writeBytesPerSecond, rates_.writeBytesPerSecond};
    b.writeRecords = {rates_.writeRecordsPerSecond, rates_.writeRecordsPerSecond};
    b.readBytes = {rates_.readBytesPerSecond, rates_.readBytesPerSecond};
    b.readCalls = {rates_.readCallsPerSecond, rates_.readCallsPerSecond};
    b.lastRefillMs = now;
    return b;
  }
  refillUntil({&b.writeBytes, &b.writeRecords, &b.readBytes, &b.readCalls}, b.lastRefillMs, now);
  return b;
}

void ShardLimits::sweep(std::int64_t now) {
  if (now - lastSweepMs_ < kIdleShardMs) return;
  lastSweepMs_ = now;
  const auto idle = [now](const auto& entry) {
    return now - entry.second.lastRefillMs > kIdleShardMs;
  };
  std::erase_if(shards_, idle);
  std::erase_if(streams_, idle);
}

bool ShardLimits::tryWrite(const std::string& stream, std::uint32_t shard, std::size_t bytes) {
  const std::int64_t now = clock_.nowMillis();
  std::lock_guard lock(mutex_);
  sweep(now);
  ShardBuckets& b = bucketsFor(stream, shard, now);
  const double size = static_cast<double>(bytes);
  // A record larger than a second's allowance (a 1 MiB blob plus its key) passes on a full bucket.
  if (b.writeRecords.tokens < 1.0 || b.writeBytes.tokens < std::min(size, b.writeBytes.rate)) {
    return false;
  }
  b.writeRecords.tokens -= 1.0;
  b.writeBytes.tokens -= size;
  return true;
}

bool ShardLimits::tryRead(const std::string& stream, std::uint32_t shard) {
  const std::int64_t now = clock_.nowMillis();
  std::lock_guard lock(mutex_);
  sweep(now);
  ShardBuckets& b = bucketsFor(stream, shard, now);
  if (b.readCalls.tokens < 1.0 || b.readBytes.tokens < 0.0) return false;
  b.readCalls.tokens -= 1.0;
  return true;
}

void ShardLimits::chargeRead(const std::string& stream, std::uint32_t shard, std::size_t bytes) {
  const std::int64_t now = clock_.nowMillis();
  std::lock_guard lock(mutex_);
  bucketsFor(stream, shard, now).readBytes.tokens -= static_cast<double>(bytes);
}

bool ShardLimits::tryDryRun(const std::string& stream) {
  const std::int64_t now = clock_.nowMillis();
  std::lock_guard lock(mutex_);
  sweep(now);
  auto [it, added] = streams_.try_emplace(stream);
  StreamBuckets& b = it->second;
  if (added) {
    b.dryRuns = {rates_.dryRunsPerSecond, rates_.dryRunsPerSecond};
    b.lastRefillMs = now;
  } else {
    refillUntil({&b.dryRuns}, b.lastRefillMs, now);
  }
  if (b.dryRuns.tokens < 1.0) return false;
  b.dryRuns.tokens -= 1.0;
  return true;
}

std::unique_ptr<ShardLimits> makeShardLimits(const config::LimitsConfig& config,
                                             const Clock& clock) {
  if (!config.enabled) return nullptr;
  ShardLimitRates rates;
  rates.writeBytesPerSecond = static_cast<double>(config.writeBytesPerSecond);
  rates.writeRecordsPerSecond = static_cast<double>(config.writeRecordsPerSecond);
  rates.readBytesPerSecond = static_cast<double>(config.readBytesPerSecond);
  rates.readCallsPerSecond = static_cast<double>(config.readCallsPerSecond);
  rates.dryRunsPerSecond = static_cast<double>(config.dryRunsPerSecond);
  return std::make_unique<ShardLimits>(rates, clock);
}

}  // namespace kbridge::streams
