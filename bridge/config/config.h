#pragma once
// The validated, immutable configuration of one kbridge process (DESIGN.md §9). Built once at
// start-up by loadConfig(); shared read-only (shared_ptr<const Config>) by every component.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kbridge::config {

struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
};

struct KinesisApiConfig {
  Endpoint listen{"127.0.0.1", 4567};
  std::string region = "us-east-1";
  std::string accountId = "000000000000";
  int threads = 0;  // 0 = one per core
  std::uint64_t maxBodyBytes = 12 * 1024 * 1024;
};

struct AdminConfig {
  Endpoint listen{"127.0.0.1", 9400};
  bool enabled = true;
};

struct KafkaConfig {
  std::string bootstrapServers = "127.0.0.1:9092";
  std::string topicPrefix;
  std::string catalogTopic = "__kbridge_catalog";
  int replicationFactor = -1;                  // -1 = the broker's default.replication.factor
  int requestTimeoutMs = 15000;                // admin and catalog operations
  std::map<std::string, std::string> rdkafka;  // passed unchanged to librdkafka
};

struct StreamsConfig {
  int shardLimit = 500;          // account-wide open shards (DescribeLimits.ShardLimit)
  int onDemandShardCount = 4;    // shards of a new ON_DEMAND stream
  int onDemandStreamLimit = 50;  // DescribeLimits.OnDemandStreamCountLimit
  int defaultRetentionHours = 24;
};

// Kinesis's per-shard throughput limits (DESIGN.md §4), off unless `enabled`. The defaults are
// Kinesis's: writes 1 MiB/s or 1,000 records/s per shard, reads 2 MiB/s and 5 GetRecords/s.
struct LimitsConfig {
  bool enabled = false;
  std::int64_t writeBytesPerSecond = 1024 * 1024;
  int writeRecordsPerSecond = 1000;
  std::int64_t readBytesPerSecond = 2 * 1024 * 1024;
  int readCallsPerSecond = 5;
};

struct LogConfig {
  std::string level = "info";
  bool json = false;
};

enum class StartingPosition { kTrimHorizon, kLatest, kAtTimestamp };

// Where a mapping sends what it gives up on (Lambda's OnFailure destination): a Kinesis stream
// of this kbridge, or a plain Kafka topic. Exactly one of the two is set.
struct OnFailureConfig {
  std::string stream;
  std::string topic;
  bool includeRecords = false;  // add the failed records themselves to the failure record
};

// One event source mapping (DESIGN.md §6); option names and ranges follow Lambda's.
struct MappingConfig {
  std::string name;
  std::string stream;
  std::string handlerType;
  nlohmann::json handlerSettings = nlohmann::json::object();  // the handler object minus "type"
  std::string consumerGroup;                                  // default "kbridge.<name>"
  int batchSize = 100;
  int maxBatchingWindowMs = 0;
  StartingPosition startingPosition = StartingPosition::kLatest;
  std::int64_t startingTimestampMs = 0;  // with kAtTimestamp
  int parallelizationFactor = 1;
  bool bisectOnError = false;
  int maxRetryAttempts = -1;  // -1 = until the records reach max_record_age_s
  int maxRecordAgeS = -1;     // -1 = never expire
  std::optional<OnFailureConfig> onFailure;
  bool reportBatchItemFailures = false;
  bool enabled = true;
  nlohmann::json filter;  // null = deliver everything; else an array of EventBridge patterns
  int retryBackoffInitialMs = 100;
  int retryBackoffMaxMs = 30000;
};

// The consumer-lag monitor (DESIGN.md §8): every mapping's group, plus the other consumer groups
// whose ids match one of `groups` ('*' matches any run of characters, '?' one character).
struct LagConfig {
  int intervalS = 30;  // how often lag is sampled
  int window = 10;     // samples the status rules look at (Burrow's "intervals")
  std::vector<std::string> groups;
};

struct Config {
  KinesisApiConfig kinesis;
  AdminConfig admin;
  KafkaConfig kafka;
  StreamsConfig streams;
  LimitsConfig limits;
  LogConfig log;
  LagConfig lag;
  std::vector<MappingConfig> mappings;
};

// Every problem found, each with its JSON path ("$.kafka.bootstrap_servers: must be a string").
struct ConfigErrors {
  std::vector<std::string> errors;
};

// Checks what the config module cannot know itself: a mapping's handler settings (by the handler
// registry) and its filter patterns. Appends "path: what" lines; `path` is the mapping's path.
using MappingValidator = std::function<void(const MappingConfig& mapping, const std::string& path,
                                            std::vector<std::string>& errors)>;

// Parses and validates a config document; `env` supplies overrides (KBRIDGE_BOOTSTRAP). Returns
// null and fills `errors` with every problem at once when the document is invalid.
std::shared_ptr<const Config> parseConfig(const std::string& text,
                                          const std::map<std::string, std::string>& env,
                                          ConfigErrors& errors,
                                          const MappingValidator& validateMapping = {});
// "2026-11-22T10:00:00Z" (fraction and ±hh:mm offsets allowed) → epoch ms; nullopt if malformed.
std::optional<std::int64_t> parseTimestamp(const std::string& text);

// Reads FILE and calls parseConfig with the process environment.
std::shared_ptr<const Config> loadConfig(const std::string& path, ConfigErrors& errors,
                                         const MappingValidator& validateMapping = {});

}  // namespace kbridge::config
