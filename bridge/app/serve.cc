// `kbridge serve`: wires the components together and runs them until a signal arrives.
//
// Start-up order: config → logging → Kafka admin and catalog (retried until Kafka answers) →
// the streams of streams.create → listeners → the ready line on stdout → event source mappings.
// Shutdown runs in reverse.

#include "app/serve.h"

#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <thread>

#include "api/bearer_guard.h"
#include "api/data_routes.h"
#include "api/ingest_route.h"
#include "api/router.h"
#include "api/table_reader.h"
#include "app/admin_handler.h"
#include "app/adopted_streams.h"
#include "app/declared_streams.h"
#include "auth/authenticator.h"
#include "common/clock.h"
#include "common/executor.h"
#include "common/periodic.h"
#include "config/config.h"
#include "http/server.h"
#include "kafka/admin.h"
#include "kafka/catalog_log.h"
#include "kafka/fetcher.h"
#include "kafka/group_offsets.h"
#include "kafka/producer.h"
#include "kinesis/dispatcher.h"
#include "ops/api_metrics.h"
#include "ops/lag_monitor.h"
#include "ops/listener_metrics.h"
#include "ops/metrics.h"
#include "ops/shard_traffic.h"
#include "runtime/mapping_runtime.h"
#include "sources/source_routes.h"
#include "sources/source_runner.h"
#include "streams/catalog.h"
#include "streams/shard_limits.h"

namespace kbridge::app {
namespace {

void setUpLogging(const config::LogConfig& log) {
  auto logger = spdlog::stderr_logger_mt("kbridge");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(log.level));
  if (log.json) {
    spdlog::set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","thread":%t,"message":"%v"})",
        spdlog::pattern_time_type::utc);
  }
}

// Blocks SIGINT, SIGTERM (stop) and SIGHUP (reload the TLS files) in every thread started after
// this call; signalWithin takes them.
sigset_t blockSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// Waits up to `timeout` for one of the signals; the signal, or 0 when none arrived.
int signalWithin(const sigset_t& set, std::chrono::milliseconds timeout) {
  timespec ts{static_cast<time_t>(timeout.count() / 1000),
              static_cast<long>((timeout.count() % 1000) * 1'000'000)};
  const int signo = sigtimedwait(&set, nullptr, &ts);
  return signo > 0 ? signo : 0;
}

bool isStop(int signo) {
  return signo == SIGINT || signo == SIGTERM;
}

// SIGHUP: every TLS listener reads its certificate and key files again (a renewed certificate
// takes effect without a restart); a listener whose files are broken keeps the ones it has.
void reloadTls(std::initializer_list<http::Listener*> listeners) {
  for (auto* listener : listeners) {
    if (!listener || !listener->tls()) continue;
    try {
      listener->reloadTls();
      spdlog::info("TLS certificate and key reloaded for port {}", listener->port());
    } catch (const std::exception& e) {
      spdlog::error("TLS reload for port {} failed, the previous certificate stays: {}",
                    listener->port(), e.what());
    }
  }
}

// How long mappings may finish their batches at shutdown before deliveries are cancelled: within
// the 10 s that container runtimes grant between SIGTERM and SIGKILL.
constexpr auto kMappingGrace = std::chrono::seconds(7);
// How often adopted topics are checked for added partitions (also on SIGHUP).
constexpr auto kAdoptedRefreshInterval = std::chrono::seconds(60);

// Destroys `owned` on a helper thread and waits up to `timeout`; false when it did not finish
// (the object is then abandoned to the process exit).
template <class T>
bool destroyWithin(std::unique_ptr<T> owned, std::chrono::milliseconds timeout) {
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  std::thread([owned = std::move(owned), done]() mutable {
    owned.reset();
    done->set_value();
  }).detach();
  return finished.wait_for(timeout) == std::future_status::ready;
}

// A listener's address, TLS files and connection limits as the config gives them.
http::ListenerOptions listenerOptions(const config::Endpoint& listen,
                                      const std::optional<config::TlsConfig>& tls,
                                      const config::ConnectionLimitsConfig& limits) {
  http::ListenerOptions o;
  o.host = listen.host;
  o.port = listen.port;
  if (tls) o.tls = http::TlsOptions{tls->certFile, tls->keyFile};
  o.maxConnections = static_cast<std::size_t>(limits.maxConnections);
  o.maxPipelined = static_cast<std::size_t>(limits.maxPipelined);
  o.maxHeaderBytes = static_cast<std::size_t>(limits.maxHeaderBytes);
  o.idleTimeout = std::chrono::seconds(limits.idleTimeoutS);
  o.headerTimeout = std::chrono::seconds(limits.headerTimeoutS);
  o.bodyTimeout = std::chrono::seconds(limits.bodyTimeoutS);
  o.minBodyBytesPerSecond = static_cast<std::size_t>(limits.minBodyBytesPerS);
  return o;
}

}  // namespace

int serve(const std::string& configPath, const Plugins& plugins) {
  const sigset_t signals = blockSignals();
  config::ConfigErrors errors;
  auto config = config::loadConfig(configPath, errors, plugins.validateMapping);
  if (!config) {
    for (const auto& e : errors.errors) std::cerr << "config error: " << e << "\n";
    return 2;
  }
  setUpLogging(config->log);
  spdlog::info("kbridge starting; Kafka at {}", config->kafka.bootstrapServers);

  try {
    SystemClock clock;
    // Before everything that registers metrics, so it is destroyed after all of them.
    ops::MetricsRegistry metrics;
    // Declared first so it is destroyed last: producer reports and pool tasks still answer into it
    // while the other components shut down.
    http::IoRuntime io(config->kinesis.threads);
    auto admin = kafka::makeRdKafkaAdmin(config->kafka);
    auto producer = kafka::makeRdKafkaProducer(config->kafka);
    auto fetcher = kafka::makeRdKafkaFetcher(config->kafka);
    streams::Catalog catalog(kafka::makeKafkaCatalogLog(config->kafka),
                             std::chrono::milliseconds(config->kafka.requestTimeoutMs));
    catalog.onStreamRemoved(
        [&fetcher](const streams::StreamMeta& stream) { fetcher->forgetTopic(stream.topic); });
    for (;;) {
      auto started = catalog.start();
      if (started) break;
      catalog.stop();
      spdlog::warn("cannot load the catalog from Kafka ({}); retrying", started.error().message);
      if (isStop(signalWithin(signals, std::chrono::seconds(2)))) return 0;
    }

    // Observability (DESIGN.md §8): the Kinesis API counts its requests and shard traffic through
    // these; mappings register their own metrics in `metrics`.
    ops::ApiMetrics apiMetrics(metrics);
    ops::ShardTraffic traffic(metrics, ops::streamOfTopicIn(catalog, config->kafka.topicPrefix));
    auto countingProducer = ops::countIncoming(*producer, traffic);
    auto countingFetcher = ops::countOutgoing(*fetcher, traffic);
    auto& queueDepth = metrics
                           .gauge("kbridge_producer_queue_records",
                                  "Records in the Kafka producer's queue or in flight.")
                           .Add({});
    const int queueHook = metrics.addScrapeHook(
        [&queueDepth, &producer] { queueDepth.Set(static_cast<double>(producer->queueDepth())); });

    // Before the pools: their queued tasks still run while they are destroyed.
    const auto limits = streams::makeShardLimits(config->limits, clock);
    ThreadPool control(4);
    ThreadPool fetch(8);
    kinesis::Services services;
    services.config = config;
    services.catalog = &catalog;
    services.admin = admin.get();
    services.clock = &clock;
    services.control = &control;
    services.producer = countingProducer.get();
    services.fetcher = countingFetcher.get();
    services.fetch = &fetch;
    services.limits = limits.get();
    services.metrics = &apiMetrics;
    // auth.mode "sigv4": every Kinesis request is verified and checked against its principal's
    // policy (bridge/auth/); "none" accepts everything, which only local development should do.
    std::unique_ptr<auth::Authenticator> authenticator;
    if (config->auth.mode == config::AuthMode::kSigV4) {
      authenticator = std::make_unique<auth::Authenticator>(*config, clock);
      spdlog::info("auth: SigV4 required (region {}, {} principal(s))", config->auth.region,
                   config->auth.principals.size());
    } else {
      spdlog::warn("**********************************************************************");
      spdlog::warn("auth.mode is \"none\": the Kinesis API accepts EVERY request without");
      spdlog::warn("checking signatures or policies. Use auth.mode \"sigv4\" anywhere but");
      spdlog::warn("local development (README.md, \"Security\").");
      spdlog::warn("**********************************************************************");
    }
    // Before anything that reads or writes them: the streams the config declares.
    createDeclaredStreams(config->streams.create, services);
    adoptStreams(config->streams.adopt, services);
    kinesis::Dispatcher dispatcher(services, authenticator.get());
    std::atomic<bool> ready{false};
    runtime::MappingRuntime mappings(config, catalog, *countingProducer, clock, plugins.handlers,
                                     runtime::rdKafkaConsumers(config->kafka), &metrics);
    AdminHandler adminHandler(ready, [&mappings] { return mappings.describe(); });
    adminHandler.setMetrics([&metrics] { return metrics.render(); });
    // Consumer lag of every mapping (and lag.groups), sampled on the monitor's own thread.
    auto groupOffsets = kafka::makeRdKafkaGroupOffsets(config->kafka);
    ops::LagMonitor lag(config, *groupOffsets, ops::catalogDirectory(catalog), clock);
    lag.exportMetrics(metrics);
    adminHandler.setLag([&lag](const std::string& mapping) -> std::optional<std::string> {
      return mapping.empty() ? std::optional<std::string>(lag.renderAll())
                             : lag.renderMapping(mapping);
    });

    // Sources (bridge/sources/): http_poll and generator records go into their streams through
    // PutRecords' routing and the same producer; each source runs on its own thread.
    auto sourceFetcher = sources::makeCurlHttpFetcher();
    sources::SourceRunner sourceRunner(
        config, [&catalog](const std::string& name) { return catalog.find(name); },
        *countingProducer, *sourceFetcher, clock, &metrics);

    http::ListenerOptions kinesisOptions =
        listenerOptions(config->kinesis.listen, config->kinesis.tls, config->kinesis.connections);
    kinesisOptions.maxBodyBytes = config->kinesis.maxBodyBytes;
    // The pipeline REST API (bridge/api/) shares the Kinesis listener: /api/... goes to its route
    // table, everything else to the Kinesis dispatcher. Declared in this order so that the pool
    // drains (its answers pass through the router) before the router goes.
    api::ApiRouter apiRouter(dispatcher, config->api.cors, &apiMetrics);
    ThreadPool apiReads(2);  // GET /api/data reads SQLite here, never on an I/O thread
    if (!config->api.ingestStream.empty()) {
      api::addIngestRoute(apiRouter, services,
                          {config->api.ingestStream, config->api.partitionKeyField});
    }
    if (!config->api.dataMapping.empty()) {
      std::shared_ptr<api::TableReader> table;
      std::string why = "no table support in this executable";
      for (const auto& m : config->mappings) {
        if (m.name == config->api.dataMapping && plugins.openTableReader) {
          table = plugins.openTableReader(m, why);
        }
      }
      if (!table) {
        throw std::runtime_error("api.data: cannot open the table of mapping " +
                                 config->api.dataMapping + ": " + why);
      }
      api::addDataRoutes(apiRouter, std::move(table), apiReads, clock,
                         {static_cast<std::size_t>(config->api.defaultLimit),
                          static_cast<std::size_t>(config->api.maxLimit)});
    }
    if (!config->sources.empty()) sources::addSourceRoutes(apiRouter, sourceRunner);
    if (authenticator) {
      // With SigV4 on the Kinesis API, the REST API takes the same principals' bearer tokens and
      // policies: each route is the Kinesis operation it performs on its stream.
      apiRouter.setGuard(api::makeBearerGuard(
          *authenticator,
          [&config](const api::ApiRequest& request, std::string_view,
                    std::string_view pattern) -> std::optional<api::RouteAccess> {
            if (pattern == "/api/ingest/stream") {
              return api::RouteAccess{"PutRecords", config->api.ingestStream};
            }
            if (pattern.starts_with("/api/data")) {
              for (const auto& m : config->mappings) {
                if (m.name == config->api.dataMapping)
                  return api::RouteAccess{"GetRecords", m.stream};
              }
              return std::nullopt;
            }
            if (pattern == "/api/sources/{name}/run") {
              const auto name = request.params.find("name");
              for (const auto& s : config->sources) {
                if (name != request.params.end() && s.name == name->second) {
                  return api::RouteAccess{"PutRecords", s.stream};
                }
              }
              // An unknown source names no stream: as with IAM's resource "*", only a policy
              // over every stream gets through (to the route's 404).
              return api::RouteAccess{"PutRecords", "*"};
            }
            return std::nullopt;
          }));
    }
    http::Listener kinesisListener(io, kinesisOptions, apiRouter);
    std::unique_ptr<http::Listener> adminListener;
    if (config->admin.enabled) {
      http::ListenerOptions adminOptions =
          listenerOptions(config->admin.listen, config->admin.tls, config->admin.connections);
      adminOptions.maxBodyBytes = 64 * 1024;
      adminListener = std::make_unique<http::Listener>(io, adminOptions, adminHandler);
    }
    ops::ListenerMetrics listenerMetrics(metrics);
    listenerMetrics.watch("kinesis", kinesisListener);
    if (adminListener) listenerMetrics.watch("admin", *adminListener);
    io.run();
    ready = true;

    auto url = [](const std::string& host, const http::Listener& listener) {
      const bool v6 = host.find(':') != std::string::npos;
      return std::string(listener.tls() ? "https://" : "http://") + (v6 ? "[" + host + "]" : host) +
             ":" + std::to_string(listener.port());
    };
    std::cout << "kbridge ready kinesis=" << url(kinesisOptions.host, kinesisListener);
    if (adminListener) {
      std::cout << " admin=" << url(config->admin.listen.host, *adminListener);
    }
    std::cout << std::endl;
    mappings.start();
    lag.start();
    sourceRunner.start();

    // Adopted topics that gained partitions grow their streams: every minute and on SIGHUP, on a
    // thread of its own, so that a slow or absent Kafka never delays the handling of a signal.
    std::optional<PeriodicTask> adoptedRefresh;
    if (!config->streams.adopt.empty()) {
      adoptedRefresh.emplace(kAdoptedRefreshInterval, [&config, &services] {
        refreshAdoptedStreams(config->streams.adopt, services);
      });
    }
    for (;;) {
      const int signo = signalWithin(signals, std::chrono::seconds(3600));
      if (isStop(signo)) break;
      if (signo == SIGHUP) {
        reloadTls({&kinesisListener, adminListener.get()});
        if (adoptedRefresh) adoptedRefresh->poke();
      }
    }
    spdlog::info("kbridge stopping");
    ready = false;
    lag.stop();
    sourceRunner.stop();  // its puts in flight finish while the producer runs
    // Mappings first: they finish their batches, commit what is durable and leave their groups
    // while the producer (their on_failure path) still runs.
    mappings.stop(kMappingGrace);
    kinesisListener.close();
    if (adminListener) adminListener->close();
    // Answer the puts in flight before the I/O threads stop: a record Kafka acknowledged gets its
    // 200 when at all possible.
    producer->flush(std::chrono::seconds(10));
    io.stop();
    adoptedRefresh.reset();  // after its run in progress, if any: it uses the catalog
    catalog.stop();
    metrics.removeScrapeHook(queueHook);
    if (!destroyWithin(std::move(fetcher), std::chrono::seconds(5))) {
      // librdkafka 2.0.2 can wait forever in rd_kafka_destroy when a topic that a simple-consumer
      // cursor read from was deleted by another instance. Nothing is left to save: every put was
      // flushed above and the fetcher holds no state.
      spdlog::warn("Kafka fetcher did not shut down within 5 s; exiting without it");
      spdlog::shutdown();
      std::_Exit(0);
    }
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  return 0;
}

}  // namespace kbridge::app
