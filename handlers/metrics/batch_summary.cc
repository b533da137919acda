#include "handlers/metrics/batch_summary.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_set>

namespace kbridge::handlers {
namespace {

// The source of a JSON record, or nothing when the value is absent or not a scalar.
bool sourceOf(const nlohmann::json& doc, std::string_view field, std::string& out) {
  if (!doc.is_object()) return false;
  auto it = doc.find(field);
  if (it == doc.end()) return false;
  if (it->is_string()) {
    out = it->get<std::string>();
  } else if (it->is_number() || it->is_boolean()) {
    out = it->dump();
  } else {
    return false;
  }
  return true;
}

}  // namespace

BatchSummary summarizeBatch(std::span<const runtime::Record> records, std::string_view sourceField,
                            std::int64_t nowMs) {
  BatchSummary s;
  s.records = records.size();
  s.latenciesMs.reserve(records.size());
  std::unordered_set<std::string_view> keys;
  keys.reserve(records.size());
  double latencySum = 0;
  std::string source;
  for (const auto& r : records) {
    s.bytes += r.data.size();
    keys.insert(r.partitionKey);
    const std::int64_t latency = std::max<std::int64_t>(0, nowMs - r.arrivalMs);
    s.latenciesMs.push_back(latency);
    latencySum += static_cast<double>(latency);
    auto doc = nlohmann::json::parse(r.data, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
      s.notJson += 1;
    } else if (sourceOf(doc, sourceField, source)) {
      auto it = s.bySource.find(source);
      if (it == s.bySource.end()) {
        s.bySource.emplace(source, 1);
        s.sourcesInOrder.push_back(source);
      } else {
        it->second += 1;
      }
    } else {
      s.noSourceField += 1;
    }
  }
  s.uniquePartitions = keys.size();
  if (!s.latenciesMs.empty()) {
    const auto [lo, hi] = std::minmax_element(s.latenciesMs.begin(), s.latenciesMs.end());
    s.latencyMinMs = *lo;
    s.latencyMaxMs = *hi;
    s.latencyAvgMs = latencySum / static_cast<double>(s.latenciesMs.size());
  }
  return s;
}

std::string emfLines(const BatchSummary& summary,
                     const std::map<std::string, std::uint64_t, std::less<>>& bySource,
                     const EmfDimensions& d, std::int64_t timestampMs) {
  using Json = nlohmann::ordered_json;
  auto metric = [](const char* name, const char* unit) {
    return Json{{"Name", name}, {"Unit", unit}};
  };
  auto envelope = [&](Json dimensions, Json metrics) {
    return Json{{"Timestamp", timestampMs},
                {"CloudWatchMetrics",
                 Json::array({Json{{"Namespace", d.ns},
                                   {"Dimensions", Json::array({std::move(dimensions)})},
                                   {"Metrics", std::move(metrics)}}})}};
  };
  std::string out;
  Json batch;
  batch["_aws"] =
      envelope(Json::array({"StreamName", "Environment"}),
               Json::array({metric("RecordsProcessed", "Count"), metric("DataSizeBytes", "Bytes"),
                            metric("UniquePartitions", "Count"),
                            metric("ProcessingLatencyAvg", "Milliseconds"),
                            metric("ProcessingLatencyMax", "Milliseconds"),
                            metric("ProcessingLatencyMin", "Milliseconds")}));
  batch["StreamName"] = d.streamName;
  batch["Environment"] = d.environment;
  batch["RecordsProcessed"] = summary.records;
  batch["DataSizeBytes"] = summary.bytes;
  batch["UniquePartitions"] = summary.uniquePartitions;
  batch["ProcessingLatencyAvg"] = summary.latencyAvgMs;
  batch["ProcessingLatencyMax"] = summary.latencyMaxMs;
  batch["ProcessingLatencyMin"] = summary.latencyMinMs;
  out += batch.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += '\n';
  for (const auto& [source, count] : bySource) {
    Json line;
    line["_aws"] = envelope(Json::array({"StreamName", "Environment", "Source"}),
                            Json::array({metric("RecordsBySource", "Count")}));
    line["StreamName"] = d.streamName;
    line["Environment"] = d.environment;
    line["Source"] = source;
    line["RecordsBySource"] = count;
    out += line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += '\n';
  }
  return out;
}

}  // namespace kbridge::handlers
