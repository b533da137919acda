#include "ops/metrics.h"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <sstream>

namespace kbridge::ops {

MetricsRegistry::MetricsRegistry()
    : registry_(
          std::make_shared<prometheus::Registry>(prometheus::Registry::InsertBehavior::Merge)) {}

prometheus::Family<prometheus::Counter>& MetricsRegistry::counter(const std::string& name,
                                                                  const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
}

prometheus::Family<prometheus::Gauge>& MetricsRegistry::gauge(const std::string& name,
                                                              const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(*registry_);
}

prometheus::Family<prometheus::Histogram>& MetricsRegistry::histogram(const std::string& name,
                                                                      const std::string& help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_);
}

void MetricsRegistry::addCollectable(const std::weak_ptr<prometheus::Collectable>& collectable) {
  std::lock_guard lock(mutex_);
  collectables_.push_back(collectable);
}

int MetricsRegistry::addScrapeHook(ScrapeHook hook) {
  std::lock_guard lock(mutex_);
  const int id = nextHookId_++;
  hooks_.emplace_back(id, std::move(hook));
  return id;
}

void MetricsRegistry::removeScrapeHook(int id) {
  std::lock_guard lock(mutex_);
  std::erase_if(hooks_, [id](const auto& entry) { return entry.first == id; });
}

std::vector<prometheus::MetricFamily> MetricsRegistry::collect() const {
  // Hooks run under the lock so that removeScrapeHook() waits for a running hook to finish.
  std::lock_guard lock(mutex_);
  for (const auto& [id, hook] : hooks_) hook();
  auto families = registry_->Collect();
  std::erase_if(collectables_, [](const auto& weak) { return weak.expired(); });
  for (const auto& weak : collectables_) {
    if (auto collectable = weak.lock()) {
      auto more = collectable->Collect();
      families.insert(families.end(), std::make_move_iterator(more.begin()),
                      std::make_move_iterator(more.end()));
    }
  }
  return families;
}

std::string MetricsRegistry::render() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, collect());
  return out.str();
}

const prometheus::Histogram::BucketBoundaries& latencySecondsBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return kBuckets;
}

const prometheus::Histogram::BucketBoundaries& batchSizeBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
  return kBuckets;
}

}  // namespace kbridge::ops
