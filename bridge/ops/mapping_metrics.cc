#include "ops/mapping_metrics.h"

namespace kbridge::ops {
namespace {

prometheus::Counter& counterOf(MetricsRegistry& registry, const char* name, const char* help,
                               const std::string& mapping) {
  return registry.counter(name, help).Add({{"mapping", mapping}});
}

}  // namespace

MappingMetrics::MappingMetrics(MetricsRegistry& registry, const std::string& mapping)
    : invocations(counterOf(registry, "kbridge_mapping_invocations_total",
                            "Batches handed to the mapping's handler (retries included).",
                            mapping)),
      errors(counterOf(registry, "kbridge_mapping_errors_total",
                       "Handler deliveries that failed or asked to be retried later.", mapping)),
      retries(counterOf(registry, "kbridge_mapping_retries_total",
                        "Failed batches scheduled for another attempt after back-off.", mapping)),
      bisects(counterOf(registry, "kbridge_mapping_bisects_total",
                        "Failed batches split in two (bisect_on_error).", mapping)),
      onFailureRecords(counterOf(
          registry, "kbridge_mapping_on_failure_records_total",
          "Records given up on (retries or record age exhausted), reported to on_failure.",
          mapping)),
      delivered(counterOf(registry, "kbridge_mapping_records_delivered_total",
                          "Records the mapping's handler accepted.", mapping)),
      filtered(counterOf(registry, "kbridge_mapping_records_filtered_total",
                         "Records the mapping's filter dropped.", mapping)),
      batchSize(registry.histogram("kbridge_mapping_batch_size", "Records per handler invocation.")
                    .Add({{"mapping", mapping}}, batchSizeBuckets())),
      mapping_(mapping),
      iteratorAge_(registry.gauge("kbridge_mapping_iterator_age_seconds",
                                  "Age of the last record of the latest batch handed to the "
                                  "handler when it was handed over (Lambda's IteratorAge).")) {}

prometheus::Gauge& MappingMetrics::iteratorAge(const std::string& shardId) {
  std::lock_guard lock(mutex_);
  if (auto it = ages_.find(shardId); it != ages_.end()) return *it->second;
  auto& gauge = iteratorAge_.Add({{"mapping", mapping_}, {"shard", shardId}});
  ages_.emplace(shardId, &gauge);
  return gauge;
}

}  // namespace kbridge::ops
