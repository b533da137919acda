#pragma once
// ObjectReader: reads one JSON object of the config, consuming known keys and reporting type
// errors and unknown keys with their JSON paths into a shared list, so every problem of a config
// surfaces at once (DESIGN.md §9). Used by config.cc and by the handlers' settings parsers.

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"

namespace kbridge::config {

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

  // Marks `key` as known and returns its value (nullptr when absent or null), for shapes the
  // typed readers above do not cover.
  const Json* raw(const char* key) { return find(key); }
  bool valid() const { return valid_; }
  const std::string& path() const { return path_; }

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

}  // namespace kbridge::config
