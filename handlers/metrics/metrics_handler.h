#pragma once
// The `metrics` handler: the seed's metrics function. Per batch it measures RecordsProcessed,
// DataSizeBytes, UniquePartitions, processing latency (now − ApproximateArrivalTimestamp) and
// RecordsBySource (a JSON field of the records), with the dimensions StreamName and Environment,
// and exports them in the process's Prometheus registry (GET /metrics on the admin listener):
//
//   kbridge_stream_records_processed_total{stream,environment}
//   kbridge_stream_data_bytes_total{stream,environment}
//   kbridge_stream_unique_partitions{stream,environment}          histogram, one sample per batch
//   kbridge_stream_processing_latency_seconds{stream,environment}  histogram, one sample per record
//   kbridge_stream_records_by_source_total{stream,environment,source}
//   kbridge_stream_records_unattributed_total{stream,environment,reason="not_json"|"no_source_field"}
//
// Sources are bounded: the first `max_sources` distinct values get their own series, later ones
// are counted as source="other". Records that are not JSON are counted, never an error.
// Optionally the same per batch as CloudWatch Embedded Metric Format JSON lines (for users who
// ship them to CloudWatch), to stdout or a file.
//
// Settings: environment (default "default"), source_field (default "source"), max_sources (default
// 20, 0–1000), emf: {namespace (default "DataPipeline/Kinesis"), output ("stdout" (default) or a
// file path, appended)}.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/handler.h"

namespace kbridge::handlers {

std::unique_ptr<runtime::Handler> buildMetricsHandler(const nlohmann::json& settings,
                                                      const std::string& path,
                                                      std::vector<std::string>& errors);

}  // namespace kbridge::handlers
