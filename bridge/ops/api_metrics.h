#pragma once
// Metrics of the Kinesis endpoint (DESIGN.md §8): every request counted by operation and status,
// and timed by operation.
//
//   kbridge_api_requests_total{operation,status}         counter
//   kbridge_api_request_duration_seconds{operation}      histogram
//
// `operation` is the Kinesis action ("PutRecords"), or "unknown" for a request that names no
// Kinesis operation (bounded cardinality). `status` is "OK" for a 200, the Kinesis error type for
// an error answer ("ProvisionedThroughputExceededException"), or the HTTP status code otherwise.
//
// Threading: thread-safe. An operation's handles are resolved once and then reused; only error
// statuses go through a label lookup.

#include <chrono>
#include <map>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "http/http.h"
#include "ops/metrics.h"

namespace kbridge::ops {

class ApiMetrics {
 public:
  explicit ApiMetrics(MetricsRegistry& registry);

  // `operation` must outlive this object (the action table's names, or a literal).
  // Wraps `respond` so that the response is counted and timed from `start`.
  http::Respond instrument(std::string_view operation, std::chrono::steady_clock::time_point start,
                           http::Respond respond);

  // Counts one answered request (what instrument()'s wrapper calls).
  void record(std::string_view operation, const http::Response& response, double seconds);

 private:
  struct Operation {
    prometheus::Counter* ok = nullptr;
    prometheus::Histogram* duration = nullptr;
  };
  const Operation& operation(std::string_view name);

  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
  std::shared_mutex mutex_;  // guards operations_
  std::map<std::string_view, Operation, std::less<>> operations_;
};

// The status label of a response (see above).
std::string statusLabel(const http::Response& response);

}  // namespace kbridge::ops
