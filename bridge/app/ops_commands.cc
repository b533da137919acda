#include "app/ops_commands.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <thread>

#include "common/clock.h"
#include "kafka/catalog_log.h"
#include "kafka/group_offsets.h"
#include "ops/lag_monitor.h"
#include "ops/replay.h"
#include "streams/catalog.h"

namespace kbridge::app {

const char* const kLagUsage =
    "usage: kbridge lag [--mapping M | --group G [--stream S]] [--samples N [--interval S]]\n"
    "                   [--json] --config FILE\n";
const char* const kReplayUsage =
    "usage: kbridge replay (--mapping M | --group G --stream S) --to POSITION [--execute] "
    "[--json]\n"
    "                      --config FILE\n"
    "  POSITION: trim-horizon | latest | timestamp:ISO-8601 | sequence:SEQ |\n"
    "            offset:SHARD=N,...  (SHARD as 0 or shardId-000000000000)\n"
    "  Without --execute only the plan is printed. --execute --mapping M pauses M on every\n"
    "  running kbridge instance, moves its offsets and resumes it; --execute --group G refuses\n"
    "  while the group has members.\n";

namespace {

// --name value options and bare flags; nullopt on anything else.
std::optional<std::map<std::string, std::string>> parseOptions(
    const std::vector<std::string>& args, const std::vector<std::string>& withValue,
    const std::vector<std::string>& flags) {
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (std::find(flags.begin(), flags.end(), a) != flags.end()) {
      out.insert_or_assign(a,
                           std::string(1, '1'));  // not `= "1"`: GCC 12 -Wrestrict false positive
    } else if (std::find(withValue.begin(), withValue.end(), a) != withValue.end() &&
               i + 1 < args.size()) {
      out[a] = args[++i];
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// Config, catalog and Kafka clients of one command run.
struct Session {
  std::shared_ptr<const config::Config> config;
  std::unique_ptr<streams::Catalog> catalog;
  std::unique_ptr<kafka::GroupOffsets> kafka;
  ops::StreamDirectory streams;
};

std::optional<Session> openSession(const std::string& path,
                                   const config::MappingValidator& validate) {
  // Diagnostics to stderr, so stdout stays the table or the JSON document.
  auto logger = spdlog::stderr_logger_mt("kbridge");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::warn);
  config::ConfigErrors errors;
  Session s;
  s.config = config::loadConfig(path, errors, validate);
  if (!s.config) {
    for (const auto& e : errors.errors) std::cerr << "config error: " << e << "\n";
    return std::nullopt;
  }
  s.catalog = std::make_unique<streams::Catalog>(
      kafka::makeKafkaCatalogLog(s.config->kafka),
      std::chrono::milliseconds(s.config->kafka.requestTimeoutMs));
  if (auto started = s.catalog->start(); !started) {
    std::cerr << "cannot read the stream catalog from Kafka: " << started.error().message << "\n";
    return std::nullopt;
  }
  s.kafka = kafka::makeRdKafkaGroupOffsets(s.config->kafka);
  s.streams = ops::catalogDirectory(*s.catalog);
  return s;
}

// The catalog as executeReplayPaused()'s control store.
class CatalogControlStore final : public ops::GroupControlStore {
 public:
  explicit CatalogControlStore(streams::Catalog& catalog) : catalog_(catalog) {}
  Result<std::optional<streams::GroupControl>, std::string> current(
      const std::string& group) override {
    if (auto synced = catalog_.sync(); !synced) return fail(synced.error().message);
    return catalog_.groupControl(group);
  }
  Result<bool, std::string> write(const streams::GroupControl& control) override {
    if (auto put = catalog_.putGroupControl(control); !put) return fail(put.error().message);
    return true;
  }
  void sleepFor(std::chrono::milliseconds d) override { std::this_thread::sleep_for(d); }

 private:
  streams::Catalog& catalog_;
};

std::string cell(std::int64_t v) {
  return v < 0 ? "-" : std::to_string(v);
}

}  // namespace

int lagCommand(const std::vector<std::string>& args, const config::MappingValidator& validate) {
  auto opts = parseOptions(
      args, {"--config", "--mapping", "--group", "--stream", "--samples", "--interval"},
      {"--json"});
  if (!opts || !opts->count("--config") || (opts->count("--mapping") && opts->count("--group")) ||
      (opts->count("--stream") && !opts->count("--group"))) {
    std::cerr << kLagUsage;
    return 2;
  }
  const int samples = opts->count("--samples") ? std::atoi(opts->at("--samples").c_str()) : 1;
  const int intervalS = opts->count("--interval") ? std::atoi(opts->at("--interval").c_str()) : 5;
  if (samples < 1 || samples > 100 || intervalS < 1) {
    std::cerr << "--samples must be 1 to 100 and --interval at least 1\n" << kLagUsage;
    return 2;
  }
  try {
    auto session = openSession(opts->at("--config"), validate);
    if (!session) return 2;
    // The monitor of `serve`, restricted to what was asked for, sampled `samples` times.
    auto config = std::make_shared<config::Config>(*session->config);
    config->lag.window = samples;
    if (opts->count("--mapping")) {
      const auto& name = opts->at("--mapping");
      std::erase_if(config->mappings, [&](const auto& m) { return m.name != name; });
      if (config->mappings.empty()) {
        std::cerr << "no mapping " << name << " in " << opts->at("--config") << "\n";
        return 2;
      }
      config->lag.groups.clear();
    } else if (opts->count("--group")) {
      config->mappings.clear();
      config->lag.groups = {opts->at("--group")};
    }
    SystemClock clock;
    ops::LagMonitor monitor(config, *session->kafka, session->streams, clock);
    for (int i = 0; i < samples; ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::seconds(intervalS));
      monitor.evaluateOnce();
    }
    auto groups = monitor.snapshot();
    if (opts->count("--stream")) {
      std::erase_if(groups, [&](const auto& g) { return g.target.stream != opts->at("--stream"); });
    }
    const bool withStatus = samples > 1;
    const auto now = clock.nowMillis();
    if (opts->count("--json")) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& g : groups) {
        auto doc = ops::toJson(g, now);
        if (!withStatus) {
          doc["status"] = nullptr;
          for (auto& s : doc["shards"]) s["status"] = nullptr;
        }
        out.push_back(doc);
      }
      std::cout << nlohmann::json{{"samples", samples}, {"groups", out}}.dump(2) << "\n";
    } else {
      char line[512];
      std::snprintf(line, sizeof line, "%-28s %-24s %-22s %12s %12s %12s %10s  %s\n",
                    "MAPPING/GROUP", "STREAM", "SHARD", "COMMITTED", "END", "BEHIND", "SECONDS",
                    "STATUS");
      std::cout << line;
      for (const auto& g : groups) {
        const auto who = g.target.mapping.empty() ? g.target.group : g.target.mapping;
        if (!g.error.empty()) {
          std::cout << who << ": " << g.error << "\n";
          continue;
        }
        for (const auto& s : g.shards) {
          std::snprintf(line, sizeof line, "%-28s %-24s %-22s %12s %12lld %12lld %10.1f  %s\n",
                        who.c_str(), g.target.stream.c_str(), s.shardId.c_str(),
                        cell(s.committed).c_str(), static_cast<long long>(s.end),
                        static_cast<long long>(s.recordsBehind), ops::secondsBehind(s, now),
                        withStatus ? std::string(ops::lagStatusName(s.status)).c_str() : "-");
          std::cout << line;
        }
      }
      if (!withStatus) {
        std::cout << "(status needs a window of samples: add --samples N, or see GET /v1/lag on a "
                     "running kbridge's admin listener)\n";
      }
    }
    session->catalog->stop();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "kbridge lag: " << e.what() << "\n";
    return 1;
  }
}

int replayCommand(const std::vector<std::string>& args, const config::MappingValidator& validate) {
  auto opts = parseOptions(args, {"--config", "--mapping", "--group", "--stream", "--to"},
                           {"--execute", "--json"});
  const bool byMapping = opts && opts->count("--mapping");
  const bool byGroup = opts && opts->count("--group") && opts->count("--stream");
  if (!opts || !opts->count("--config") || !opts->count("--to") || byMapping == byGroup ||
      (byMapping && (opts->count("--group") || opts->count("--stream")))) {
    std::cerr << kReplayUsage;
    return 2;
  }
  auto position = ops::parseReplayPosition(opts->at("--to"));
  if (!position) {
    std::cerr << "--to: " << position.error() << "\n" << kReplayUsage;
    return 2;
  }
  try {
    auto session = openSession(opts->at("--config"), validate);
    if (!session) return 2;
    std::string group, streamName;
    if (byMapping) {
      const auto& name = opts->at("--mapping");
      auto it = std::find_if(session->config->mappings.begin(), session->config->mappings.end(),
                             [&](const auto& m) { return m.name == name; });
      if (it == session->config->mappings.end()) {
        std::cerr << "no mapping " << name << " in " << opts->at("--config") << "\n";
        return 2;
      }
      group = it->consumerGroup;
      streamName = it->stream;
    } else {
      group = opts->at("--group");
      streamName = opts->at("--stream");
    }
    auto stream = session->streams.byName(streamName);
    if (!stream) {
      std::cerr << "stream " << streamName << " does not exist\n";
      return 1;
    }
    // Validates the position and shows the plan; with --execute on a mapping, the plan printed is
    // the one made while the mapping is paused.
    auto plan = ops::planReplayFromKafka(*session->kafka, *position, *stream, group);
    if (!plan) {
      std::cerr << "kbridge replay: " << plan.error() << "\n";
      return 1;
    }
    const bool execute = opts->count("--execute") > 0;
    const bool json = opts->count("--json") > 0;
    nlohmann::json doc;
    int code = 0;
    if (!execute) {
      if (!json) {
        std::cout << ops::renderPlanTable(*plan);
        std::cout << "dry run: nothing changed (add --execute to move the checkpoint)\n";
      }
      doc = ops::toJson(*plan);
      doc["executed"] = false;
    } else if (byMapping) {
      // The mapping may be running on any number of instances: pause it through the catalog.
      CatalogControlStore store(*session->catalog);
      SystemClock clock;
      ops::PausedReplayOptions options;
      options.mapping = opts->at("--mapping");
      options.replayId = ops::newReplayId();
      auto progress = [&](const std::string& line) { std::cerr << line << "\n"; };
      auto done = ops::executeReplayPaused(*session->kafka, store, clock, *position, *stream, group,
                                           options, progress);
      if (!done) {
        std::cerr << "kbridge replay: " << done.error() << "\n";
        doc = ops::toJson(*plan);
        doc["executed"] = false;
        doc["error"] = done.error();
        code = 1;
      } else {
        doc = ops::toJson(done->plan);
        doc["executed"] = done->executed;
        doc["replay_id"] = options.replayId;
        if (!json) {
          std::cout << ops::renderPlanTable(done->plan);
          std::cout << (done->executed ? "done: mapping " + options.mapping +
                                             " resumed from the new offsets (replay " +
                                             options.replayId + ")\n"
                                       : std::string("nothing to change; mapping resumed\n"));
        }
      }
    } else {
      if (!json) std::cout << ops::renderPlanTable(*plan);
      doc = ops::toJson(*plan);
      doc["executed"] = false;
      if (!plan->changesAnything()) {
        if (!json) std::cout << "nothing to change\n";
      } else if (auto done = ops::executeReplay(*session->kafka, *plan); !done) {
        std::cerr << "kbridge replay: refused: " << done.error() << "\n";
        doc["error"] = done.error();
        code = 1;
      } else {
        doc["executed"] = true;
        if (!json) std::cout << "done: group " << group << " now resumes from the new offsets\n";
      }
    }
    if (json) std::cout << doc.dump(2) << "\n";
    session->catalog->stop();
    return code;
  } catch (const std::exception& e) {
    std::cerr << "kbridge replay: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace kbridge::app
