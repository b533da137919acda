#pragma once
// What the `metrics` handler measures in one batch (the seed's metrics function), and the
// CloudWatch Embedded Metric Format lines that report it. Pure functions: no clock, no I/O, no
// registry.

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/handler.h"

namespace kbridge::handlers {

struct BatchSummary {
  std::uint64_t records = 0;           // RecordsProcessed
  std::uint64_t bytes = 0;             // DataSizeBytes: the records' data bytes
  std::uint64_t uniquePartitions = 0;  // UniquePartitions: distinct partition keys
  // Processing latency = now − ApproximateArrivalTimestamp, per record, in ms (never negative).
  std::vector<std::int64_t> latenciesMs;
  std::int64_t latencyMinMs = 0;
  std::int64_t latencyMaxMs = 0;
  double latencyAvgMs = 0;
  // RecordsBySource: records per value of the source field (strings as they are, numbers and
  // booleans as their JSON text), before any cardinality bound.
  std::map<std::string, std::uint64_t, std::less<>> bySource;
  std::vector<std::string> sourcesInOrder;  // bySource's keys in order of first appearance
  std::uint64_t notJson = 0;                // data that is not a JSON document
  std::uint64_t noSourceField = 0;          // JSON without a scalar source field (or not an object)
};

BatchSummary summarizeBatch(std::span<const runtime::Record> records, std::string_view sourceField,
                            std::int64_t nowMs);

struct EmfDimensions {
  std::string_view ns;  // CloudWatch namespace
  std::string_view streamName;
  std::string_view environment;
};

// CloudWatch Embedded Metric Format: one JSON line (with '\n') for the batch metrics with the
// dimensions [StreamName, Environment] (RecordsProcessed, DataSizeBytes, UniquePartitions,
// ProcessingLatencyAvg/Max/Min in Milliseconds), then one line per source with the dimensions
// [StreamName, Environment, Source] and RecordsBySource. `bySource` is already bounded.
std::string emfLines(const BatchSummary& summary,
                     const std::map<std::string, std::uint64_t, std::less<>>& bySource,
                     const EmfDimensions& dimensions, std::int64_t timestampMs);

}  // namespace kbridge::handlers
