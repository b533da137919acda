#pragma once
// Reads values back from a MetricsRegistry in tests, by family name and labels.

#include <prometheus/metric_family.h>

#include <optional>
#include <string>

#include "ops/metrics.h"

namespace kbridge::testing {

// The sample of `name` whose labels include all of `labels`: a counter's or gauge's value, a
// histogram's sample count (`histogramSum` = true: its sum). nullopt when there is none.
inline std::optional<double> metricValue(ops::MetricsRegistry& registry, const std::string& name,
                                         const std::map<std::string, std::string>& labels = {},
                                         bool histogramSum = false) {
  for (const auto& family : registry.collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      bool match = true;
      for (const auto& [k, v] : labels) {
        bool found = false;
        for (const auto& l : m.label) found = found || (l.name == k && l.value == v);
        match = match && found;
      }
      if (!match) continue;
      switch (family.type) {
        case prometheus::MetricType::Counter:
          return m.counter.value;
        case prometheus::MetricType::Gauge:
          return m.gauge.value;
        case prometheus::MetricType::Histogram:
          return histogramSum ? m.histogram.sample_sum
                              : static_cast<double>(m.histogram.sample_count);
        default:
          return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

}  // namespace kbridge::testing
