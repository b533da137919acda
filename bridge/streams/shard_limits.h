#pragma once
// Kinesis's per-shard throughput limits, optional (config `limits`, off by default; DESIGN.md §4):
// writes 1 MiB/s or 1,000 records/s per shard, reads 2 MiB/s and 5 GetRecords calls/s per shard;
// and its dry-run limit: 1 request/s per stream, shared by PutRecord, PutRecords, GetRecords and
// GetShardIterator with DryRun set.
// Each shard has token buckets that refill continuously at the configured rate and hold at most
// one second's worth, so a shard can burst up to its per-second allowance.
//
// Reads follow Kinesis: a GetRecords call is admitted while the shard's call bucket has a token and
// its byte bucket is not in debt; the bytes it returned are charged afterwards and may put the
// bucket into debt (one 10 MiB answer blocks the shard's reads for about 5 s at 2 MiB/s).
//
// Thread-safe (one mutex; callers take it once per record or call). Time comes from the injected
// Clock, so tests are hermetic. Shards are keyed by stream name and shard index; buckets of shards
// not used for a minute are dropped.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "common/clock.h"
#include "config/config.h"

namespace kbridge::streams {

struct ShardLimitRates {
  double writeBytesPerSecond = 1024.0 * 1024.0;
  double writeRecordsPerSecond = 1000.0;
  double readBytesPerSecond = 2.0 * 1024.0 * 1024.0;
  double readCallsPerSecond = 5.0;
  double dryRunsPerSecond = 1.0;  // per stream
};

class ShardLimits {
 public:
  ShardLimits(const ShardLimitRates& rates, const Clock& clock);

  // Admits one record of `bytes` (data + partition key): takes one record token and `bytes` byte
  // tokens, or nothing (and returns false) when either bucket is short.
  bool tryWrite(const std::string& stream, std::uint32_t shard, std::size_t bytes);

  // Admits one GetRecords call: false when the shard made its calls of the last second or its
  // read bytes are in debt.
  bool tryRead(const std::string& stream, std::uint32_t shard);
  // Charges the bytes (data + partition keys) an admitted GetRecords call returned.
  void chargeRead(const std::string& stream, std::uint32_t shard, std::size_t bytes);

  // Admits one request with DryRun set on `stream`: false when the stream made its dry runs of the
  // last second.
  bool tryDryRun(const std::string& stream);

 private:
  struct Bucket {
    double tokens = 0;
    double rate = 0;  // tokens per second; also the capacity
  };
  struct ShardBuckets {
    Bucket writeBytes, writeRecords, readBytes, readCalls;
    std::int64_t lastRefillMs = 0;
  };
  struct StreamBuckets {
    Bucket dryRuns;
    std::int64_t lastRefillMs = 0;
  };
  ShardBuckets& bucketsFor(const std::string& stream, std::uint32_t shard, std::int64_t now);
  void sweep(std::int64_t now);

  const ShardLimitRates rates_;
  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::pair<std::string, std::uint32_t>, ShardBuckets> shards_;
  std::map<std::string, StreamBuckets> streams_;
  std::int64_t lastSweepMs_ = 0;
};

// The limits the config asks for; nullptr when `limits.enabled` is false.
std::unique_ptr<ShardLimits> makeShardLimits(const config::LimitsConfig& config,
                                             const Clock& clock);

}  // namespace kbridge::streams
