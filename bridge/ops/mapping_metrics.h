#pragma once
// Metrics of one event source mapping (DESIGN.md §8), Lambda's event source mapping metrics:
//
//   kbridge_mapping_invocations_total{mapping}          handler deliveries attempted
//   kbridge_mapping_errors_total{mapping}               deliveries that failed or asked for a retry
//   kbridge_mapping_retries_total{mapping}              failed attempts scheduled again (back-off)
//   kbridge_mapping_bisects_total{mapping}              failed batches split in two
//   (bisect_on_error) kbridge_mapping_on_failure_records_total{mapping}   records given up on (sent
//   to on_failure) kbridge_mapping_records_delivered_total{mapping}    records the handler accepted
//   kbridge_mapping_records_filtered_total{mapping}     records the filter dropped
//   kbridge_mapping_batch_size{mapping}                 records per invocation (histogram)
//   kbridge_mapping_iterator_age_seconds{mapping,shard} now − arrival of the last record of the
//                                                       latest invocation (Lambda's IteratorAge)
//
// Lifecycle: one per MappingWorker, built before it starts. Handles are resolved here, once; the
// iterator-age gauge of a shard once when the shard is assigned. Threading: thread-safe.

#include <map>
#include <mutex>
#include <string>

#include "ops/metrics.h"

namespace kbridge::ops {

class MappingMetrics {
 public:
  MappingMetrics(MetricsRegistry& registry, const std::string& mapping);

  prometheus::Counter& invocations;
  prometheus::Counter& errors;
  prometheus::Counter& retries;
  prometheus::Counter& bisects;
  prometheus::Counter& onFailureRecords;
  prometheus::Counter& delivered;
  prometheus::Counter& filtered;
  prometheus::Histogram& batchSize;

  // The iterator-age gauge of `shardId` (created at 0 on first use). The reference stays valid for
  // the lifetime of this object.
  prometheus::Gauge& iteratorAge(const std::string& shardId);

 private:
  std::string mapping_;
  prometheus::Family<prometheus::Gauge>& iteratorAge_;
  std::mutex mutex_;  // guards ages_
  std::map<std::string, prometheus::Gauge*, std::less<>> ages_;
};

}  // namespace kbridge::ops
