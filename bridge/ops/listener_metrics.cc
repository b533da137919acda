#include "ops/listener_metrics.h"

#include <utility>

namespace kbridge::ops {

ListenerMetrics::ListenerMetrics(MetricsRegistry& registry)
    : registry_(registry),
      open_(registry.gauge("kbridge_http_connections_open", "Connections open on a listener.")),
      accepted_(registry.counter("kbridge_http_connections_accepted_total",
                                 "Connections a listener admitted.")),
      refused_(registry.counter(
          "kbridge_http_connections_refused_total",
          "Connections a listener closed at once because max_connections were open.")),
      timeouts_(registry.counter(
          "kbridge_http_connection_timeouts_total",
          "Connections closed because a timeout passed: idle (no new request), header (a slow "
          "request head), body (a slow body), write (a client not reading its answer).")) {
  hook_ = registry_.addScrapeHook([this] { sync(); });
}

ListenerMetrics::~ListenerMetrics() {
  registry_.removeScrapeHook(hook_);
}

void ListenerMetrics::watch(const std::string& name, Source source) {
  Watched w;
  w.source = std::move(source);
  const prometheus::Labels labels{{"listener", name}};
  w.open = &open_.Add(labels);
  w.accepted = &accepted_.Add(labels);
  w.refused = &refused_.Add(labels);
  w.idle = &timeouts_.Add({{"listener", name}, {"kind", "idle"}});
  w.header = &timeouts_.Add({{"listener", name}, {"kind", "header"}});
  w.body = &timeouts_.Add({{"listener", name}, {"kind", "body"}});
  w.write = &timeouts_.Add({{"listener", name}, {"kind", "write"}});
  std::lock_guard lock(mutex_);
  watched_.push_back(std::move(w));
}

void ListenerMetrics::watch(const std::string& name, const http::Listener& listener) {
  watch(name, Source{[&listener] { return listener.stats(); },
                     [&listener] { return listener.openConnections(); }});
}

void ListenerMetrics::sync() {
  std::lock_guard lock(mutex_);
  for (auto& w : watched_) {
    const http::ListenerStats stats = w.source.stats();
    // The listener's counts only grow; add what is new since the last scrape.
    auto add = [](prometheus::Counter* counter, std::uint64_t now, std::uint64_t& last) {
      if (now > last) counter->Increment(static_cast<double>(now - last));
      last = now;
    };
    add(w.accepted, stats.accepted, w.last.accepted);
    add(w.refused, stats.refused, w.last.refused);
    add(w.idle, stats.idleTimeouts, w.last.idleTimeouts);
    add(w.header, stats.headerTimeouts, w.last.headerTimeouts);
    add(w.body, stats.bodyTimeouts, w.last.bodyTimeouts);
    add(w.write, stats.writeTimeouts, w.last.writeTimeouts);
    w.open->Set(static_cast<double>(w.source.open()));
  }
}

}  // namespace kbridge::ops
