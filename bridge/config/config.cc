#include "config/config.h"

#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "config/reader.h"

extern char** environ;
#include "sources/record_template.h"

namespace kbridge::config {
namespace {

std::string checkLevel(const std::string& level) {
  static const std::set<std::string> levels{"trace", "debug",    "info", "warn",
                                            "error", "critical", "off"};
  return levels.count(level) ? "" : "must be one of trace, debug, info, warn, error, critical, off";
}

std::string checkTopicName(const std::string& name) {
  if (name.empty() || name.size() > 249) return "must be 1 to 249 characters";
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
      return "may contain only ASCII letters, digits, '.', '_' and '-'";
    }
  }
  return "";
}

// kafka.rdkafka: each key must be one librdkafka knows, with a value it takes, and not one kbridge
// sets for every client itself (those would be silently overridden: acks=all and idempotence are
// what makes an acknowledged PutRecord durable).
void checkRdKafka(ObjectReader& r, const std::map<std::string, std::string>& properties) {
  static const std::map<std::string, std::string, std::less<>> kReserved = {
      {"bootstrap.servers", "is set from kafka.bootstrap_servers"},
      {"message.timeout.ms", "is set from kafka.request_timeout_ms"},
      {"acks",
       "is set by kbridge (acks=all: a record is acknowledged only once every in-sync "
       "replica has it)"},
      {"enable.idempotence", "is set by kbridge (true: no duplicates from the producer's retries)"},
      {"message.max.bytes", "is set by kbridge (to carry a 1 MiB record with its key)"},
      {"client.id", "is set by kbridge per client"},
      {"group.id", "is set by kbridge per mapping (the mapping's group)"},
      {"enable.auto.commit", "is set by kbridge (offsets are committed only after delivery)"},
      {"enable.auto.offset.store", "is set by kbridge (offsets are committed only after delivery)"},
      {"auto.offset.reset", "is set by kbridge (a mapping's starting_position decides)"},
      {"enable.partition.eof", "is set by kbridge"}};
  std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)> conf(rd_kafka_conf_new(),
                                                                          &rd_kafka_conf_destroy);
  for (const auto& [key, value] : properties) {
    const std::string path = r.at("rdkafka") + "." + key;
    if (auto reserved = kReserved.find(key); reserved != kReserved.end()) {
      r.error(path, reserved->second + " and cannot be changed");
      continue;
    }
    char err[512] = {};
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), err, sizeof err) !=
        RD_KAFKA_CONF_OK) {
      r.error(path, std::string("is refused by librdkafka: ") + err);
    }
  }
}

std::string checkPrefix(const std::string& prefix) {
  return prefix.empty() ? "" : checkTopicName(prefix);
}

std::string checkNonEmpty(const std::string& s) {
  return s.empty() ? "must not be empty" : "";
}

std::string checkAccount(const std::string& s) {
  if (s.size() != 12) return "must be 12 digits";
  for (char c : s) {
    if (c < '0' || c > '9') return "must be 12 digits";
  }
  return "";
}

std::string checkMappingName(const std::string& name) {
  if (name.empty() || name.size() > 128) return "must be 1 to 128 characters";
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
      return "may contain only ASCII letters, digits, '.', '_' and '-'";
    }
  }
  return "";
}

// "2026-11-22T10:00:00Z", "...T10:00:00.250Z" or "...+01:00" → epoch ms; nullopt when malformed.
std::optional<std::int64_t> parseIsoTimestamp(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,
                  &consumed) != 6 ||
      consumed != 19) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::size_t i = 19;
  std::int64_t millis = 0;
  if (i < text.size() && text[i] == '.') {
    int digits = 0;
    for (++i; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
      if (digits++ < 3) millis = millis * 10 + (text[i] - '0');
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) millis *= 10;
  }
  std::int64_t offsetMinutes = 0;
  if (i < text.size() && text[i] == 'Z') {
    ++i;
  } else if (i + 6 == text.size() && (text[i] == '+' || text[i] == '-') && text[i + 3] == ':') {
    int oh = std::atoi(text.substr(i + 1, 2).c_str()),
        om = std::atoi(text.substr(i + 4, 2).c_str());
    offsetMinutes = (text[i] == '+' ? 1 : -1) * (oh * 60 + om);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  // Days from civil (Howard Hinnant's algorithm).
  y -= mo <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = era * 146097 + doe - 719468;
  return ((days * 24 + h) * 60 + mi - offsetMinutes) * 60000 + sec * 1000 + millis;
}

// An access key id, a stream glob or an action pattern: characters that need no escaping in a
// SigV4 credential or a policy, so a typo cannot silently widen a policy.
std::string checkPatternChars(const std::string& s, const char* extra) {
  if (s.empty()) return "must not be empty";
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && !std::strchr(extra, c)) {
      return std::string("may contain only ASCII letters, digits and ") + extra;
    }
  }
  return "";
}

// Reads a non-empty array of strings at `key`, each checked by `check`.
void stringList(ObjectReader& r, const char* key, std::vector<std::string>& out,
                const std::function<std::string(const std::string&)>& check) {
  const Json* v = r.raw(key);
  if (!v) return r.error(r.at(key), "is required (a non-empty array of strings)");
  if (!v->is_array() || v->empty())
    return r.error(r.at(key), "must be a non-empty array of strings");
  for (std::size_t i = 0; i < v->size(); ++i) {
    const std::string path = r.at(key) + "[" + std::to_string(i) + "]";
    if (!(*v)[i].is_string()) {
      r.error(path, "must be a string");
    } else if (auto why = check((*v)[i].get<std::string>()); !why.empty()) {
      r.error(path, why);
    } else {
      out.push_back((*v)[i].get<std::string>());
    }
  }
}

// The `auth` section (bridge/auth/). Secrets are read from the environment variables the config
// names (DESIGN.md §9); a variable that is unset or empty is an error of the config.
void parseAuth(ObjectReader& r, AuthConfig& auth, const std::map<std::string, std::string>& env,
               std::vector<std::string>& errors) {
  std::string mode;
  r.string("mode", mode, [](const std::string& m) -> std::string {
    return m == "none" || m == "sigv4" ? "" : "must be \"none\" or \"sigv4\"";
  });
  auth.mode = mode == "sigv4" ? AuthMode::kSigV4 : AuthMode::kNone;
  r.string("region", auth.region, checkNonEmpty);
  auto fromEnv = [&](ObjectReader& p, const char* key, const std::string& name, std::string& out) {
    auto it = env.find(name);
    if (it == env.end() || it->second.empty()) {
      p.error(p.at(key), "environment variable " + name + " is not set or empty");
    } else {
      out = it->second;
    }
  };
  const Json* principals = r.raw("principals");
  if (!principals) {
    if (auth.mode == AuthMode::kSigV4)
      r.error(r.at("principals"), "is required with mode \"sigv4\"");
    return;
  }
  if (!principals->is_array() || (auth.mode == AuthMode::kSigV4 && principals->empty())) {
    return r.error(r.at("principals"), "must be a non-empty array of principals");
  }
  std::set<std::string> keyIds, tokens;
  for (std::size_t i = 0; i < principals->size(); ++i) {
    const std::string path = r.at("principals") + "[" + std::to_string(i) + "]";
    ObjectReader p((*principals)[i], path, errors);
    if (!p.valid()) continue;
    AuthPrincipalConfig principal;
    p.string("access_key_id", principal.accessKeyId,
             [](const std::string& s) { return checkPatternChars(s, "_"); });
    if (principal.accessKeyId.empty() && !p.raw("access_key_id")) {
      p.error(p.at("access_key_id"), "is required");
    } else if (!principal.accessKeyId.empty() && !keyIds.insert(principal.accessKeyId).second) {
      p.error(p.at("access_key_id"), "\"" + principal.accessKeyId + "\" is used twice");
    }
    p.string("name", principal.name,
             [](const std::string& s) { return checkPatternChars(s, "+=,.@_-"); });
    if (principal.name.empty()) principal.name = principal.accessKeyId;
    p.string("secret_env", principal.secretEnv, checkNonEmpty);
    if (principal.secretEnv.empty() && !p.raw("secret_env")) {
      p.error(p.at("secret_env"), "is required: the environment variable holding the secret key");
    } else if (!principal.secretEnv.empty()) {
      fromEnv(p, "secret_env", principal.secretEnv, principal.secret);
    }
    stringList(p, "actions", principal.actions, [](const std::string& a) -> std::string {
      if (a == "*") return "";
      if (a.rfind("kinesis:", 0) != 0) return "must be \"*\" or start with \"kinesis:\"";
      return checkPatternChars(a.substr(8), "*?");
    });
    stringList(p, "streams", principal.streams,
               [](const std::string& s) { return checkPatternChars(s, "*?._-"); });
    p.string("api_token_env", principal.apiTokenEnv, checkNonEmpty);
    if (!principal.apiTokenEnv.empty()) {
      fromEnv(p, "api_token_env", principal.apiTokenEnv, principal.apiToken);
      if (!principal.apiToken.empty() && !tokens.insert(principal.apiToken).second) {
        p.error(p.at("api_token_env"), "holds the same token as another principal's");
      }
    }
    auth.principals.push_back(std::move(principal));
  }
}

void parseMapping(ObjectReader& r, MappingConfig& m) {
  r.string("name", m.name, checkMappingName);
  if (m.name.empty() && !r.raw("name")) r.error(r.at("name"), "is required");
  r.string("stream", m.stream, checkNonEmpty);
  if (m.stream.empty() && !r.raw("stream")) r.error(r.at("stream"), "is required");
  if (const Json* handler = r.raw("handler")) {
    if (!handler->is_object()) {
      r.error(r.at("handler"), "must be an object with a \"type\"");
    } else if (auto type = handler->find("type"); type == handler->end() || !type->is_string()) {
      r.error(r.at("handler") + ".type", "is required (a string)");
    } else {
      m.handlerType = type->get<std::string>();
      m.handlerSettings = *handler;
      m.handlerSettings.erase("type");
    }
  } else {
    r.error(r.at("handler"), "is required");
  }
  r.string("consumer_group", m.consumerGroup, checkNonEmpty);
  r.integer("batch_size", m.batchSize, 1, 10000);
  r.integer("max_batching_window_ms", m.maxBatchingWindowMs, 0, 300000);
  std::string position;
  r.string("starting_position", position, [](const std::string& p) -> std::string {
    if (p == "TRIM_HORIZON" || p == "LATEST" || p == "AT_TIMESTAMP") return "";
    return "must be TRIM_HORIZON, LATEST or AT_TIMESTAMP";
  });
  if (position.empty() && !r.raw("starting_position")) {
    r.error(r.at("starting_position"), "is required (TRIM_HORIZON, LATEST or AT_TIMESTAMP)");
  }
  m.startingPosition = position == "TRIM_HORIZON"   ? StartingPosition::kTrimHorizon
                       : position == "AT_TIMESTAMP" ? StartingPosition::kAtTimestamp
                                                    : StartingPosition::kLatest;
  if (const Json* ts = r.raw("starting_position_timestamp")) {
    if (position != "AT_TIMESTAMP") {
      r.error(r.at("starting_position_timestamp"), "is allowed only with AT_TIMESTAMP");
    } else if (ts->is_number() && ts->get<double>() >= 0) {
      m.startingTimestampMs = static_cast<std::int64_t>(ts->get<double>() * 1000.0);
    } else if (ts->is_string() && parseIsoTimestamp(ts->get<std::string>())) {
      m.startingTimestampMs = *parseIsoTimestamp(ts->get<std::string>());
    } else {
      r.error(r.at("starting_position_timestamp"),
              "must be epoch seconds or an ISO-8601 time such as 2026-11-22T10:00:00Z");
    }
  } else if (position == "AT_TIMESTAMP") {
    r.error(r.at("starting_position_timestamp"), "is required with AT_TIMESTAMP");
  }
  r.integer("parallelization_factor", m.parallelizationFactor, 1, 10);
  r.boolean("bisect_on_error", m.bisectOnError);
  r.integer("max_retry_attempts", m.maxRetryAttempts, -1, 10000);
  r.integer("max_record_age_s", m.maxRecordAgeS, -1, 604800);
  if (m.maxRecordAgeS == 0) r.error(r.at("max_record_age_s"), "must be -1 or at least 1");
  r.object("on_failure", [&](ObjectReader& f) {
    OnFailureConfig out;
    f.string("stream", out.stream, checkNonEmpty);
    f.string("topic", out.topic, checkTopicName);
    f.boolean("include_records", out.includeRecords);
    if (out.stream.empty() == out.topic.empty()) {
      f.error(f.path(), "needs exactly one of \"stream\" or \"topic\"");
    }
    m.onFailure = out;
  });
  r.boolean("report_batch_item_failures", m.reportBatchItemFailures);
  r.boolean("enabled", m.enabled);
  if (const Json* filter = r.raw("filter")) {
    if (filter->is_object()) {
      m.filter = Json::array({*filter});
    } else if (filter->is_array() && !filter->empty()) {
      m.filter = *filter;
    } else {
      r.error(r.at("filter"), "must be a pattern object or a non-empty array of them");
    }
  }
  r.object("retry_backoff", [&](ObjectReader& b) {
    b.integer("initial_ms", m.retryBackoffInitialMs, 1, 600000);
    b.integer("max_ms", m.retryBackoffMaxMs, 1, 3600000);
  });
  if (m.consumerGroup.empty()) m.consumerGroup = "kbridge." + m.name;
}

// `streams.create`: the streams kbridge creates at start-up when absent (app/declared_streams.h).
// Read after the other `streams` keys, whose shard limit and default retention apply here.
void parseStreamDeclarations(ObjectReader& r, StreamsConfig& streams,
                             std::vector<std::string>& errors) {
  const Json* list = r.raw("create");
  if (!list) return;
  if (!list->is_array()) {
    return r.error(r.at("create"),
                   "must be an array of {\"name\", \"shards\", \"retention_hours\"} objects");
  }
  std::set<std::string> names;
  std::int64_t totalShards = 0;
  for (std::size_t i = 0; i < list->size(); ++i) {
    StreamDeclaration declared;
    declared.retentionHours = streams.defaultRetentionHours;
    ObjectReader d((*list)[i], r.at("create") + "[" + std::to_string(i) + "]", errors);
    if (!d.valid()) continue;
    // Kinesis's StreamName: 1 to 128 of [a-zA-Z0-9_.-].
    d.string("name", declared.name, checkMappingName);
    if (declared.name.empty() && !d.raw("name")) d.error(d.at("name"), "is required");
    if (!declared.name.empty() && !names.insert(declared.name).second) {
      d.error(d.at("name"), "\"" + declared.name + "\" is declared twice");
    }
    if (!d.raw("shards")) d.error(d.at("shards"), "is required (the stream's shard count)");
    declared.shards = 0;  // stays 0 when missing or invalid (reported above or below)
    d.integer("shards", declared.shards, 1, streams.shardLimit);
    d.integer("retention_hours", declared.retentionHours, 24, 8760);
    totalShards += declared.shards;
    streams.create.push_back(std::move(declared));
  }
  if (totalShards > streams.shardLimit) {
    r.error(r.at("create"), "declares " + std::to_string(totalShards) +
                                " shards in all, more than shard_limit (" +
                                std::to_string(streams.shardLimit) + ")");
  }
}

void parseStreamAdoptions(ObjectReader& r, StreamsConfig& streams,
                          std::vector<std::string>& errors) {
  const Json* list = r.raw("adopt");
  if (!list) return;
  if (!list->is_array()) {
    return r.error(r.at("adopt"),
                   "must be an array of {\"topic\", \"name\", \"partitioner\"} objects");
  }
  std::set<std::string> names;
  for (const auto& declared : streams.create) names.insert(declared.name);
  for (std::size_t i = 0; i < list->size(); ++i) {
    StreamAdoption adopted;
    ObjectReader d((*list)[i], r.at("adopt") + "[" + std::to_string(i) + "]", errors);
    if (!d.valid()) continue;
    d.string("topic", adopted.topic, checkTopicName);
    if (adopted.topic.empty() && !d.raw("topic")) d.error(d.at("topic"), "is required");
    adopted.name = adopted.topic;
    if (d.raw("name")) {
      d.string("name", adopted.name, checkMappingName);
    } else if (!adopted.topic.empty() && !checkMappingName(adopted.topic).empty()) {
      d.error(d.at("name"), "is required: the topic's name is no stream name (" +
                                checkMappingName(adopted.topic) + ")");
    }
    if (!adopted.name.empty() && !names.insert(adopted.name).second) {
      d.error(d.at("name"), "\"" + adopted.name + "\" is declared twice (in create or adopt)");
    }
    std::string partitioner = "kinesis";
    d.string("partitioner", partitioner, [](const std::string& p) -> std::string {
      return p == "kinesis" || p == "kafka" ? "" : "must be \"kinesis\" or \"kafka\"";
    });
    adopted.kafkaPartitioner = partitioner == "kafka";
    streams.adopt.push_back(std::move(adopted));
  }
}

// The keys every listener section has: `tls` and the connection limits (http::ListenerOptions).
void parseListener(ObjectReader& r, std::optional<TlsConfig>& tls, ConnectionLimitsConfig& limits) {
  r.object("tls", [&](ObjectReader& t) {
    TlsConfig out;
    t.string("cert_file", out.certFile, checkNonEmpty);
    if (!t.raw("cert_file")) {
      t.error(t.at("cert_file"), "is required (the PEM certificate chain file)");
    }
    t.string("key_file", out.keyFile, checkNonEmpty);
    if (!t.raw("key_file")) t.error(t.at("key_file"), "is required (the PEM private key file)");
    tls = out;
  });
  r.integer("max_connections", limits.maxConnections, 1, 1000000);
  r.integer("idle_timeout_s", limits.idleTimeoutS, 1, 86400);
  r.integer("header_timeout_s", limits.headerTimeoutS, 1, 3600);
  r.integer("body_timeout_s", limits.bodyTimeoutS, 1, 3600);
  r.integer("min_body_bytes_per_s", limits.minBodyBytesPerS, 0, 1LL << 30);
  r.integer("max_pipelined", limits.maxPipelined, 1, 128);
  r.integer("max_header_bytes", limits.maxHeaderBytes, 1024, 1024 * 1024);
}

std::string checkHttpUrl(const std::string& url) {
  auto hasScheme = [&](const char* scheme) {
    const std::size_t n = std::char_traits<char>::length(scheme);
    if (url.size() <= n) return false;
    for (std::size_t i = 0; i < n; ++i) {
      if (std::tolower(static_cast<unsigned char>(url[i])) != scheme[i]) return false;
    }
    return true;
  };
  if (!hasScheme("http://") && !hasScheme("https://")) return "must be an http:// or https:// URL";
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7F) return "must not contain spaces or control characters";
  }
  return "";
}

// A source's keys: the common ones, then those of its type; keys of the other type are errors.
void parseSource(ObjectReader& r, SourceConfig& s, std::vector<std::string>& errors) {
  r.string("name", s.name, checkMappingName);
  if (s.name.empty() && !r.raw("name")) r.error(r.at("name"), "is required");
  std::string type;
  r.string("type", type, [](const std::string& t) -> std::string {
    return t == "http_poll" || t == "generator" ? "" : "must be \"http_poll\" or \"generator\"";
  });
  if (type.empty() && !r.raw("type")) {
    r.error(r.at("type"), "is required (\"http_poll\" or \"generator\")");
  }
  s.type = type == "http_poll" ? SourceType::kHttpPoll : SourceType::kGenerator;
  r.string("stream", s.stream, checkMappingName);
  if (s.stream.empty() && !r.raw("stream")) r.error(r.at("stream"), "is required");
  if (!r.raw("interval_s")) {
    r.error(r.at("interval_s"), "is required (seconds between runs; 0 = only when triggered)");
  }
  r.integer("interval_s", s.intervalS, 0, 604800);
  r.boolean("enabled", s.enabled);
  if (const Json* key = r.raw("partition_key")) {
    if (!key->is_string() || key->get<std::string>().empty()) {
      r.error(r.at("partition_key"), "must be a non-empty string");
    } else if (sources::RecordTemplate::compile(*key, r.at("partition_key"), errors)) {
      s.partitionKey = key->get<std::string>();
    }
  }
  // With a missing or bad type, the keys of both types are read (and checked).
  const bool known = type == "http_poll" || type == "generator";
  const bool http = !known || type == "http_poll";
  const bool generator = !known || type == "generator";
  auto only = [&](const char* key, bool allowed, const char* typeName) {
    if (!allowed && r.raw(key)) {
      r.error(r.at(key), std::string("is allowed only with type \"") + typeName + "\"");
      return false;
    }
    return allowed;
  };
  if (only("url", http, "http_poll")) {
    r.string("url", s.url, checkHttpUrl);
    if (known && s.url.empty() && !r.raw("url")) {
      r.error(r.at("url"), "is required with type \"http_poll\"");
    }
  }
  if (only("connect_timeout_ms", http, "http_poll")) {
    r.integer("connect_timeout_ms", s.connectTimeoutMs, 1, 300000);
  }
  if (only("timeout_ms", http, "http_poll")) r.integer("timeout_ms", s.timeoutMs, 1, 900000);
  if (only("max_response_bytes", http, "http_poll")) {
    r.integer("max_response_bytes", s.maxResponseBytes, 1, 256LL * 1024 * 1024);
  }
  if (only("user_agent", http, "http_poll")) r.string("user_agent", s.userAgent, checkNonEmpty);
  if (only("headers", http, "http_poll")) r.stringMap("headers", s.headers);
  if (only("template", generator, "generator")) {
    if (const Json* doc = r.raw("template")) {
      if (sources::RecordTemplate::compile(*doc, r.at("template"), errors)) {
        s.recordTemplate = *doc;
      }
    }
  }
}

std::string checkHeaderValue(const std::string& value) {
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7F) return "must not contain control characters";
  }
  return "";
}

// The `api` section (bridge/api/). Mappings are parsed first, so data.mapping is checked here.
void parseApi(ObjectReader& r, Config& config) {
  ApiConfig& api = config.api;
  r.object("ingest", [&](ObjectReader& in) {
    in.string("stream", api.ingestStream, checkNonEmpty);
    if (api.ingestStream.empty() && !in.raw("stream")) in.error(in.at("stream"), "is required");
    in.string("partition_key_field", api.partitionKeyField, checkNonEmpty);
  });
  r.object("data", [&](ObjectReader& d) {
    d.string("mapping", api.dataMapping, checkNonEmpty);
    if (api.dataMapping.empty() && !d.raw("mapping")) {
      d.error(d.at("mapping"),
              "is required: the name of a mapping whose handler type is \"table\"");
    }
    d.integer("default_limit", api.defaultLimit, 1, 10000);
    d.integer("max_limit", api.maxLimit, 1, 10000);
    if (api.defaultLimit > api.maxLimit) {
      d.error(d.at("default_limit"), "must not exceed max_limit");
    }
    if (api.dataMapping.empty()) return;
    const MappingConfig* named = nullptr;
    for (const auto& m : config.mappings) {
      if (m.name == api.dataMapping) named = &m;
    }
    if (!named) {
      d.error(d.at("mapping"), "names no mapping of $.mappings");
    } else if (named->handlerType != "table") {
      d.error(d.at("mapping"), "must name a mapping whose handler type is \"table\" (\"" +
                                   named->name + "\" has \"" + named->handlerType + "\")");
    }
  });
  r.object("cors", [&](ObjectReader& c) {
    c.string("allow_origin", api.cors.allowOrigin, checkHeaderValue);
    c.string("allow_methods", api.cors.allowMethods, checkHeaderValue);
    c.string("allow_headers", api.cors.allowHeaders, checkHeaderValue);
    c.integer("max_age_s", api.cors.maxAgeS, 0, 86400);
  });
}

}  // namespace

std::optional<std::int64_t> parseTimestamp(const std::string& text) {
  return parseIsoTimestamp(text);
}

std::shared_ptr<const Config> parseConfig(const std::string& text,
                                          const std::map<std::string, std::string>& env,
                                          ConfigErrors& errors,
                                          const MappingValidator& validateMapping) {
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const Json::parse_error& e) {
    errors.errors.push_back(std::string("$: not valid JSON: ") + e.what());
    return nullptr;
  }
  auto config = std::make_shared<Config>();
  {
    ObjectReader root(doc, "$", errors.errors);
    // An editor's pointer to config/schema.json; nothing for kbridge.
    if (const Json* schema = root.raw("$schema"); schema && !schema->is_string()) {
      root.error(root.at("$schema"), "must be a string (the JSON Schema's path or URL)");
    }
    root.object("kinesis", [&](ObjectReader& r) {
      r.endpoint("listen", config->kinesis.listen);
      r.string("region", config->kinesis.region, checkNonEmpty);
      r.string("account_id", config->kinesis.accountId, checkAccount);
      r.integer("threads", config->kinesis.threads, 0, 256);
      r.integer("max_body_bytes", config->kinesis.maxBodyBytes, 1024, 64 * 1024 * 1024);
      parseListener(r, config->kinesis.tls, config->kinesis.connections);
    });
    root.object("admin", [&](ObjectReader& r) {
      r.endpoint("listen", config->admin.listen);
      r.boolean("enabled", config->admin.enabled);
      parseListener(r, config->admin.tls, config->admin.connections);
    });
    root.object("kafka", [&](ObjectReader& r) {
      r.string("bootstrap_servers", config->kafka.bootstrapServers, checkNonEmpty);
      r.string("topic_prefix", config->kafka.topicPrefix, checkPrefix);
      r.string("catalog_topic", config->kafka.catalogTopic, checkTopicName);
      r.integer("replication_factor", config->kafka.replicationFactor, -1, 32);
      r.integer("request_timeout_ms", config->kafka.requestTimeoutMs, 100, 600000);
      r.stringMap("rdkafka", config->kafka.rdkafka);
      checkRdKafka(r, config->kafka.rdkafka);
    });
    root.object("streams", [&](ObjectReader& r) {
      r.integer("shard_limit", config->streams.shardLimit, 1, 100000);
      r.integer("on_demand_shard_count", config->streams.onDemandShardCount, 1, 10000);
      r.integer("on_demand_stream_limit", config->streams.onDemandStreamLimit, 0, 100000);
      r.integer("default_retention_hours", config->streams.defaultRetentionHours, 24, 8760);
      parseStreamDeclarations(r, config->streams, errors.errors);
      parseStreamAdoptions(r, config->streams, errors.errors);
    });
    root.object("limits", [&](ObjectReader& r) {
      r.boolean("enabled", config->limits.enabled);
      r.integer("write_bytes_per_second", config->limits.writeBytesPerSecond, 1, 1LL << 40);
      r.integer("write_records_per_second", config->limits.writeRecordsPerSecond, 1, 100000000);
      r.integer("read_bytes_per_second", config->limits.readBytesPerSecond, 1, 1LL << 40);
      r.integer("read_calls_per_second", config->limits.readCallsPerSecond, 1, 1000000);
      r.integer("dry_runs_per_second", config->limits.dryRunsPerSecond, 1, 1000000);
    });
    root.object("log", [&](ObjectReader& r) {
      r.string("level", config->log.level, checkLevel);
      r.boolean("json", config->log.json);
    });
    root.object("lag", [&](ObjectReader& r) {
      r.integer("interval_s", config->lag.intervalS, 1, 3600);
      r.integer("window", config->lag.window, 2, 100);
      if (const Json* groups = r.raw("groups")) {
        if (!groups->is_array()) r.error(r.at("groups"), "must be an array of group patterns");
        for (std::size_t i = 0; groups->is_array() && i < groups->size(); ++i) {
          const Json& g = (*groups)[i];
          if (!g.is_string() || g.get<std::string>().empty()) {
            r.error(r.at("groups") + "[" + std::to_string(i) + "]", "must be a non-empty string");
          } else {
            config->lag.groups.push_back(g.get<std::string>());
          }
        }
      }
    });
    root.object("auth", [&](ObjectReader& r) { parseAuth(r, config->auth, env, errors.errors); });
    if (const Json* mappings = root.raw("mappings")) {
      if (!mappings->is_array()) {
        root.error("$.mappings", "must be an array");
      } else {
        std::set<std::string> names;
        for (std::size_t i = 0; i < mappings->size(); ++i) {
          const std::string path = "$.mappings[" + std::to_string(i) + "]";
          MappingConfig mapping;
          const std::size_t before = errors.errors.size();
          {
            ObjectReader r((*mappings)[i], path, errors.errors);
            if (r.valid()) parseMapping(r, mapping);
          }
          if (!mapping.name.empty() && !names.insert(mapping.name).second) {
            errors.errors.push_back(path + ".name: \"" + mapping.name + "\" is used twice");
          }
          if (errors.errors.size() == before && validateMapping) {
            validateMapping(mapping, path, errors.errors);
          }
          config->mappings.push_back(std::move(mapping));
        }
      }
    }
    if (const Json* sources = root.raw("sources")) {
      if (!sources->is_array()) {
        root.error("$.sources", "must be an array");
      } else {
        std::set<std::string> names;
        for (std::size_t i = 0; i < sources->size(); ++i) {
          const std::string path = "$.sources[" + std::to_string(i) + "]";
          SourceConfig source;
          {
            ObjectReader r((*sources)[i], path, errors.errors);
            if (r.valid()) parseSource(r, source, errors.errors);
          }
          if (!source.name.empty() && !names.insert(source.name).second) {
            errors.errors.push_back(path + ".name: \"" + source.name + "\" is used twice");
          }
          config->sources.push_back(std::move(source));
        }
      }
    }
    root.object("api", [&](ObjectReader& r) { parseApi(r, *config); });
  }
  if (config->auth.region.empty()) config->auth.region = config->kinesis.region;
  if (auto it = env.find("KBRIDGE_BOOTSTRAP"); it != env.end() && !it->second.empty()) {
    config->kafka.bootstrapServers = it->second;
  }
  if (!errors.errors.empty()) return nullptr;
  return config;
}

std::shared_ptr<const Config> loadConfig(const std::string& path, ConfigErrors& errors,
                                         const MappingValidator& validateMapping) {
  std::ifstream in(path);
  if (!in) {
    errors.errors.push_back(path + ": cannot be read");
    return nullptr;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::map<std::string, std::string> env;
  // The whole environment: KBRIDGE_BOOTSTRAP, and the variables that auth.principals name.
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string_view text(*entry);
    const auto eq = text.find('=');
    if (eq != std::string_view::npos) env.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  return parseConfig(buffer.str(), env, errors, validateMapping);
}

}  // namespace kbridge::config
