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

// A listener's TLS (README "Security"): with it the listener speaks only HTTPS. PEM files; their
// existence is checked when the listener starts.
struct TlsConfig {
  std::string certFile;  // certificate chain, leaf first
  std::string keyFile;
};

// What protects a listener from its clients (README "Security"; http::ListenerOptions).
struct ConnectionLimitsConfig {
  int maxConnections = 1024;  // more are accepted and closed at once
  int idleTimeoutS = 60;      // a kept-alive connection without a new request
  int headerTimeoutS = 10;    // to receive a request's complete head (slow-loris)
  int bodyTimeoutS = 30;      // to receive a body, plus its length at min_body_bytes_per_s
  std::int64_t minBodyBytesPerS = 64 * 1024;
  int maxPipelined = 4;  // requests read ahead of their answers on one connection
  std::uint64_t maxHeaderBytes = 16 * 1024;  // larger heads get 431
};

struct KinesisApiConfig {
  Endpoint listen{"127.0.0.1", 4567};
  std::string region = "us-east-1";
  std::string accountId = "000000000000";
  int threads = 0;  // 0 = one per core
  std::uint64_t maxBodyBytes = 12 * 1024 * 1024;
  std::optional<TlsConfig> tls;
  ConnectionLimitsConfig connections;
};

struct AdminConfig {
  Endpoint listen{"127.0.0.1", 9400};
  bool enabled = true;
  std::optional<TlsConfig> tls;
  ConnectionLimitsConfig connections;
};

struct KafkaConfig {
  std::string bootstrapServers = "127.0.0.1:9092";
  std::string topicPrefix;
  std::string catalogTopic = "__kbridge_catalog";
  int replicationFactor = -1;                  // -1 = the broker's default.replication.factor
  int requestTimeoutMs = 15000;                // admin and catalog operations
  std::map<std::string, std::string> rdkafka;  // passed unchanged to librdkafka
};

// A stream the config declares (`streams.create`), so that a pipeline's config is
// self-contained: created at start-up when absent, as CreateStream creates it, then given its
// retention period. An existing stream is left as it is.
struct StreamDeclaration {
  std::string name;
  int shards = 1;
  int retentionHours = 24;  // streams.default_retention_hours when the declaration has none
};

// An existing Kafka topic exposed as a stream (`streams.adopt`, DESIGN.md §3): its partitions are
// the shards, its records are read as they are, and kbridge never deletes it or changes its
// configs. `partitioner` "kafka" routes PutRecord(s) like Kafka's default partitioner (murmur2 of
// the key), so Kinesis producers and Kafka-native producers put a key in the same partition;
// "kinesis" (the default) routes by MD5 hash-key ranges as for any stream.
struct StreamAdoption {
  std::string name;  // the stream's name (default: the topic's)
  std::string topic;
  bool kafkaPartitioner = false;
};

struct StreamsConfig {
  int shardLimit = 500;          // account-wide open shards (DescribeLimits.ShardLimit)
  int onDemandShardCount = 4;    // shards of a new ON_DEMAND stream
  int onDemandStreamLimit = 50;  // DescribeLimits.OnDemandStreamCountLimit
  int defaultRetentionHours = 24;
  std::vector<StreamDeclaration> create;
  std::vector<StreamAdoption> adopt;
};

// Kinesis's per-shard throughput limits (DESIGN.md §4), off unless `enabled`. The defaults are
// Kinesis's: writes 1 MiB/s or 1,000 records/s per shard, reads 2 MiB/s and 5 GetRecords/s.
struct LimitsConfig {
  bool enabled = false;
  std::int64_t writeBytesPerSecond = 1024 * 1024;
  int writeRecordsPerSecond = 1000;
  std::int64_t readBytesPerSecond = 2 * 1024 * 1024;
  int readCallsPerSecond = 5;
  int dryRunsPerSecond = 1;  // per stream, shared by every operation's DryRun
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

enum class SourceType { kHttpPoll, kGenerator };

// A source (issue 7): something that puts records into a stream on a schedule or when triggered
// through POST /api/sources/{name}/run. Templates use sources/record_template.h's placeholders.
struct SourceConfig {
  std::string name;
  SourceType type = SourceType::kGenerator;
  std::string stream;
  int intervalS = 0;    // 0 = only when triggered
  bool enabled = true;  // false = not scheduled (a trigger still runs it)
  std::string partitionKey = "partition-${epoch_ms}-${random}";  // seed 002's key
  // http_poll: GET `url`; a JSON array becomes one record per element.
  std::string url;
  int connectTimeoutMs = 5000;
  int timeoutMs = 10000;
  std::int64_t maxResponseBytes = 10 * 1024 * 1024;
  std::string userAgent = "kbridge";
  std::map<std::string, std::string> headers;
  // generator: one record per run from this template (seed 004's producer by default).
  nlohmann::json recordTemplate = {{"message", "Hello"}, {"time", "${epoch_ms}"}};
};

// Cross-origin headers on every /api answer, as the seed's API sends them (its functions add them
// to their answers; API Gateway answers the preflights).
struct CorsConfig {
  std::string allowOrigin = "*";
  std::string allowMethods = "GET,POST,OPTIONS";
  std::string allowHeaders = "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token";
  int maxAgeS = 0;  // Access-Control-Max-Age of preflight answers; 0 = not sent
};

// The pipeline REST API on the Kinesis listener (the seed's API Gateway routes; bridge/api/).
struct ApiConfig {
  std::string ingestStream;       // POST /api/ingest/stream writes here; "" = no such route
  std::string partitionKeyField;  // a top-level JSON field; records without it get a random key
  std::string dataMapping;        // GET /api/data[/{id}] read this table mapping; "" = no routes
  int defaultLimit = 50;          // GET /api/data page size without ?limit=
  int maxLimit = 1000;
  CorsConfig cors;
};

// Who may call the Kinesis API (README "Security"). With kNone every request is accepted; with
// kSigV4 every request must carry a valid AWS Signature Version 4 of one of `principals`, and
// each principal may call only its `actions` on its `streams`.
enum class AuthMode { kNone, kSigV4 };

struct AuthPrincipalConfig {
  std::string name;  // shown in AccessDenied messages; defaults to the access key id
  std::string accessKeyId;
  std::string secretEnv;             // the environment variable that holds the secret access key
  std::string secret;                // read from secretEnv by parseConfig, never from the file
  std::vector<std::string> actions;  // IAM action patterns: "kinesis:PutRecord*", "kinesis:*"
  std::vector<std::string> streams;  // stream name globs: "orders-*"; "*" = every resource
  std::string apiTokenEnv;  // optional: the variable holding this principal's REST bearer token
  std::string apiToken;     // read from apiTokenEnv
};

struct AuthConfig {
  AuthMode mode = AuthMode::kNone;
  std::string region;  // the region signatures must be scoped to; defaults to kinesis.region
  std::vector<AuthPrincipalConfig> principals;
};

struct Config {
  KinesisApiConfig kinesis;
  AdminConfig admin;
  KafkaConfig kafka;
  StreamsConfig streams;
  LimitsConfig limits;
  LogConfig log;
  LagConfig lag;
  AuthConfig auth;
  std::vector<MappingConfig> mappings;
  std::vector<SourceConfig> sources;
  ApiConfig api;
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
