#pragma once
// The validated, immutable configuration of one kbridge process (DESIGN.md §9). Built once at
// start-up by loadConfig(); shared read-only (shared_ptr<const Config>) by every component.

#include <cstdint>
#include <map>
#include <memory>
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

struct LogConfig {
  std::string level = "info";
  bool json = false;
};

struct Config {
  KinesisApiConfig kinesis;
  AdminConfig admin;
  KafkaConfig kafka;
  StreamsConfig streams;
  LogConfig log;
};

// Every problem found, each with its JSON path ("$.kafka.bootstrap_servers: must be a string").
struct ConfigErrors {
  std::vector<std::string> errors;
};

// Parses and validates a config document; `env` supplies overrides (KBRIDGE_BOOTSTRAP). Returns
// null and fills `errors` with every problem at once when the document is invalid.
std::shared_ptr<const Config> parseConfig(const std::string& text,
                                          const std::map<std::string, std::string>& env,
                                          ConfigErrors& errors);
// Reads FILE and calls parseConfig with the process environment.
std::shared_ptr<const Config> loadConfig(const std::string& path, ConfigErrors& errors);

}  // namespace kbridge::config
