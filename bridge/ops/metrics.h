#pragma once
// kbridge's Prometheus registry (DESIGN.md §8): one per process, owned by serve.cc, rendered in the
// text exposition format on the admin listener's GET /metrics. No pull Exposer: the admin listener
// serves the text rendered here.
//
// Lifecycle: created before anything that registers metrics, destroyed after all of them. Metric
// families live as long as the registry; metric handles (Counter&, Gauge&, Histogram&) returned by
// Family::Add stay valid until removed, so hot paths resolve them once and keep the reference.
// Threading: everything here is thread-safe (prometheus-cpp's Registry and metrics are); scrape
// hooks run on the scraping thread, one render() at a time.
//
// Conventions: names start with `kbridge_`, base units (seconds, bytes), counters end in `_total`.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kbridge::ops {

// The Content-Type of the text exposition format served at GET /metrics.
inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

class MetricsRegistry {
 public:
  MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // The underlying registry, for families built with prometheus::BuildCounter() etc.
  prometheus::Registry& registry() { return *registry_; }
  const std::shared_ptr<prometheus::Registry>& shared() const { return registry_; }

  // Shorthands for prometheus::Build*().Name(name).Help(help).Register(registry()). Adding the
  // same name twice returns the same family (Registry::InsertBehavior::Merge); adding it with a
  // different type or help is a programming error (prometheus-cpp throws).
  prometheus::Family<prometheus::Counter>& counter(const std::string& name,
                                                   const std::string& help);
  prometheus::Family<prometheus::Gauge>& gauge(const std::string& name, const std::string& help);
  prometheus::Family<prometheus::Histogram>& histogram(const std::string& name,
                                                       const std::string& help);

  // More collectables rendered with the registry (e.g. one computed at scrape time). Held weakly:
  // an expired collectable is skipped and dropped.
  void addCollectable(const std::weak_ptr<prometheus::Collectable>& collectable);

  // Called before each render(), e.g. to copy a queue depth into a gauge. Hooks must be cheap and
  // must not call render(). Returns an id for removeScrapeHook (call it before what the hook
  // captures goes away).
  using ScrapeHook = std::function<void()>;
  int addScrapeHook(ScrapeHook hook);
  void removeScrapeHook(int id);

  // Runs the scrape hooks, then collects the registry's families and the collectables'.
  std::vector<prometheus::MetricFamily> collect() const;
  // collect() in the Prometheus text format (version 0.0.4).
  std::string render() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  mutable std::mutex mutex_;  // guards hooks_, collectables_, nextHookId_
  std::vector<std::pair<int, ScrapeHook>> hooks_;
  mutable std::vector<std::weak_ptr<prometheus::Collectable>> collectables_;
  int nextHookId_ = 1;
};

// Bucket boundaries shared by kbridge's histograms.
// Latency in seconds: 0.5 ms … 60 s.
const prometheus::Histogram::BucketBoundaries& latencySecondsBuckets();
// Batch sizes in records: 1 … 10,000 (Lambda's batch_size range).
const prometheus::Histogram::BucketBoundaries& batchSizeBuckets();

}  // namespace kbridge::ops
