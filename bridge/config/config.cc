#include "config/config.h"

#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace kbridge::config {
namespace {

using Json = nlohmann::json;

// Walks one JSON object, consuming known keys and reporting type errors and unknown keys with
// their paths. Each reader records into the shared error list, so all problems surface at once.
class ObjectReader {
 public:
  ObjectReader(const Json& object, std::string path, std::vector<std::string>& errors)
      : object_(object), path_(std::move(path)), errors_(errors) {
    if (!object_.is_object()) {
      error(path_, "must be an object");
      valid_ = false;
    }
  }
  ~ObjectReader() {
    if (!valid_) return;
    for (const auto& [key, _] : object_.items()) {
      if (!seen_.count(key)) error(path_ + "." + key, "unknown key");
    }
  }

  void string(const char* key, std::string& out,
              const std::function<std::string(const std::string&)>& check = {}) {
    const Json* v = find(key);
    if (!v) return;
    if (!v->is_string()) return error(at(key), "must be a string");
    std::string s = v->get<std::string>();
    if (check) {
      if (auto why = check(s); !why.empty()) return error(at(key), why);
    }
    out = std::move(s);
  }

  template <class Int>
  void integer(const char* key, Int& out, std::int64_t lo, std::int64_t hi) {
    const Json* v = find(key);
    if (!v) return;
    if (!v->is_number_integer()) return error(at(key), "must be an integer");
    auto n = v->get<std::int64_t>();
    if (n < lo || n > hi) {
      return error(at(key), "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    }
    out = static_cast<Int>(n);
  }

  void boolean(const char* key, bool& out) {
    const Json* v = find(key);
    if (!v) return;
    if (!v->is_boolean()) return error(at(key), "must be true or false");
    out = v->get<bool>();
  }

  void endpoint(const char* key, Endpoint& out) {
    std::string text;
    string(key, text);
    if (text.empty()) return;
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) return error(at(key), "must be HOST:PORT");
    char* end = nullptr;
    long port = std::strtol(text.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535 || colon + 1 == text.size()) {
      return error(at(key), "port must be a number between 0 and 65535");
    }
    out.host = text.substr(0, colon);
    if (out.host.size() > 2 && out.host.front() == '[')
      out.host = out.host.substr(1, out.host.size() - 2);
    out.port = static_cast<std::uint16_t>(port);
  }

  void stringMap(const char* key, std::map<std::string, std::string>& out) {
    const Json* v = find(key);
    if (!v) return;
    if (!v->is_object()) return error(at(key), "must be an object of strings");
    for (const auto& [k, val] : v->items()) {
      if (val.is_string()) {
        out[k] = val.get<std::string>();
      } else if (val.is_number() || val.is_boolean()) {
        out[k] = val.dump();
      } else {
        error(at(key) + "." + k, "must be a string");
      }
    }
  }

  // Calls `fn` with a reader of the nested object at `key` when present.
  void object(const char* key, const std::function<void(ObjectReader&)>& fn) {
    const Json* v = find(key);
    if (!v) return;
    ObjectReader nested(*v, at(key), errors_);
    if (nested.valid_) fn(nested);
  }

  std::string at(const char* key) const { return path_ + "." + key; }
  void error(const std::string& path, const std::string& what) {
    errors_.push_back(path + ": " + what);
  }

 private:
  const Json* find(const char* key) {
    if (!valid_) return nullptr;
    seen_.insert(key);
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  const Json& object_;
  std::string path_;
  std::vector<std::string>& errors_;
  std::set<std::string> seen_;
  bool valid_ = true;
};

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

}  // namespace

std::shared_ptr<const Config> parseConfig(const std::string& text,
                                          const std::map<std::string, std::string>& env,
                                          ConfigErrors& errors) {
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
    root.object("kinesis", [&](ObjectReader& r) {
      r.endpoint("listen", config->kinesis.listen);
      r.string("region", config->kinesis.region, checkNonEmpty);
      r.string("account_id", config->kinesis.accountId, checkAccount);
      r.integer("threads", config->kinesis.threads, 0, 256);
      r.integer("max_body_bytes", config->kinesis.maxBodyBytes, 1024, 64 * 1024 * 1024);
    });
    root.object("admin", [&](ObjectReader& r) {
      r.endpoint("listen", config->admin.listen);
      r.boolean("enabled", config->admin.enabled);
    });
    root.object("kafka", [&](ObjectReader& r) {
      r.string("bootstrap_servers", config->kafka.bootstrapServers, checkNonEmpty);
      r.string("topic_prefix", config->kafka.topicPrefix, checkPrefix);
      r.string("catalog_topic", config->kafka.catalogTopic, checkTopicName);
      r.integer("replication_factor", config->kafka.replicationFactor, -1, 32);
      r.integer("request_timeout_ms", config->kafka.requestTimeoutMs, 100, 600000);
      r.stringMap("rdkafka", config->kafka.rdkafka);
    });
    root.object("streams", [&](ObjectReader& r) {
      r.integer("shard_limit", config->streams.shardLimit, 1, 100000);
      r.integer("on_demand_shard_count", config->streams.onDemandShardCount, 1, 10000);
      r.integer("on_demand_stream_limit", config->streams.onDemandStreamLimit, 0, 100000);
      r.integer("default_retention_hours", config->streams.defaultRetentionHours, 24, 8760);
    });
    root.object("log", [&](ObjectReader& r) {
      r.string("level", config->log.level, checkLevel);
      r.boolean("json", config->log.json);
    });
  }
  if (auto it = env.find("KBRIDGE_BOOTSTRAP"); it != env.end() && !it->second.empty()) {
    config->kafka.bootstrapServers = it->second;
  }
  if (!errors.errors.empty()) return nullptr;
  return config;
}

std::shared_ptr<const Config> loadConfig(const std::string& path, ConfigErrors& errors) {
  std::ifstream in(path);
  if (!in) {
    errors.errors.push_back(path + ": cannot be read");
    return nullptr;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::map<std::string, std::string> env;
  for (const char* name : {"KBRIDGE_BOOTSTRAP"}) {
    if (const char* v = std::getenv(name)) env[name] = v;
  }
  return parseConfig(buffer.str(), env, errors);
}

}  // namespace kbridge::config
