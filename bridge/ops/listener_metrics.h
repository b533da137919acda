#pragma once
// Metrics of the HTTP listeners (the protective limits at work, README "Security"):
//
//   kbridge_http_connections_open{listener}                 gauge
//   kbridge_http_connections_accepted_total{listener}       counter
//   kbridge_http_connections_refused_total{listener}        counter: max_connections were open
//   kbridge_http_connection_timeouts_total{listener,kind}   counter: kind = idle | header | body |
//                                                           write (header: slow-loris)
//
// `listener` is "kinesis" or "admin". The listener keeps the counts (http::ListenerStats); they are
// copied into the registry at each scrape.
//
// Lifecycle: watch() the listeners after they are made; destroy this before them (it removes its
// scrape hook). Threading: thread-safe.

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "http/server.h"
#include "ops/metrics.h"

namespace kbridge::ops {

class ListenerMetrics {
 public:
  explicit ListenerMetrics(MetricsRegistry& registry);
  ~ListenerMetrics();
  ListenerMetrics(const ListenerMetrics&) = delete;
  ListenerMetrics& operator=(const ListenerMetrics&) = delete;

  // Where a listener's figures come from: a real listener, or a test's fake.
  struct Source {
    std::function<http::ListenerStats()> stats;
    std::function<std::size_t()> open;
  };
  void watch(const std::string& name, Source source);
  void watch(const std::string& name, const http::Listener& listener);

 private:
  struct Watched {
    Source source;
    http::ListenerStats last;  // what the counters already hold
    prometheus::Gauge* open = nullptr;
    prometheus::Counter* accepted = nullptr;
    prometheus::Counter* refused = nullptr;
    prometheus::Counter* idle = nullptr;
    prometheus::Counter* header = nullptr;
    prometheus::Counter* body = nullptr;
    prometheus::Counter* write = nullptr;
  };
  void sync();

  MetricsRegistry& registry_;
  prometheus::Family<prometheus::Gauge>& open_;
  prometheus::Family<prometheus::Counter>& accepted_;
  prometheus::Family<prometheus::Counter>& refused_;
  prometheus::Family<prometheus::Counter>& timeouts_;
  std::mutex mutex_;  // guards watched_
  std::vector<Watched> watched_;
  int hook_ = 0;
};

}  // namespace kbridge::ops
