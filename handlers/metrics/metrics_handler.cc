#include "handlers/metrics/metrics_handler.h"

#include <cassert>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>

#include "config/reader.h"
#include "handlers/common/text_output.h"
#include "handlers/metrics/batch_summary.h"
#include "ops/metrics.h"

namespace kbridge::handlers {
namespace {

struct EmfSettings {
  std::string ns = "DataPipeline/Kinesis";
  std::string output = "stdout";
};

struct MetricsSettings {
  std::string environment = "default";
  std::string sourceField = "source";
  std::size_t maxSources = 20;
  std::optional<EmfSettings> emf;
};

const prometheus::Histogram::BucketBoundaries& processingLatencyBuckets() {
  // Pipelines batch for up to minutes (max_batching_window_ms), so the range reaches 10 minutes.
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};
  return kBuckets;
}

// Lifecycle: built from validated settings; open() resolves the metric handles (in the context's
// registry, or a private one when the process has none) and the EMF output; deliver() measures a
// batch, writes its EMF lines, then counts it; close() closes an EMF file it opened.
// Threading: deliver() summarizes without a lock; the EMF write and the source table each take
// their own mutex. Metric handles are thread-safe.
class MetricsHandler final : public runtime::Handler {
 public:
  explicit MetricsHandler(MetricsSettings settings) : settings_(std::move(settings)) {}
  ~MetricsHandler() override { close(); }

  std::string open(const runtime::HandlerContext& context) override {
    clock_ = context.clock;
    stream_ = context.streamName;
    ops::MetricsRegistry* registry = context.metrics;
    if (!registry) {
      ownRegistry_ = std::make_unique<ops::MetricsRegistry>();
      registry = ownRegistry_.get();
    }
    const prometheus::Labels labels{{"stream", stream_}, {"environment", settings_.environment}};
    records_ = &registry
                    ->counter("kbridge_stream_records_processed_total",
                              "Records processed by metrics handlers (RecordsProcessed).")
                    .Add(labels);
    bytes_ = &registry
                  ->counter("kbridge_stream_data_bytes_total",
                            "Data bytes of the records processed by metrics handlers "
                            "(DataSizeBytes).")
                  .Add(labels);
    uniquePartitions_ = &registry
                             ->histogram("kbridge_stream_unique_partitions",
                                         "Distinct partition keys per batch (UniquePartitions).")
                             .Add(labels, ops::batchSizeBuckets());
    latency_ = &registry
                    ->histogram("kbridge_stream_processing_latency_seconds",
                                "Time from a record's arrival in the stream to its processing.")
                    .Add(labels, processingLatencyBuckets());
    bySource_ = &registry->counter("kbridge_stream_records_by_source_total",
                                   "Records processed by metrics handlers, by their source field "
                                   "(RecordsBySource; beyond max_sources counted as \"other\").");
    auto& unattributed = registry->counter(
        "kbridge_stream_records_unattributed_total",
        "Records without a source: not JSON, or JSON without a scalar source field.");
    auto withReason = [&labels](const char* reason) {
      auto l = labels;
      l.emplace("reason", reason);
      return l;
    };
    notJson_ = &unattributed.Add(withReason("not_json"));
    noSourceField_ = &unattributed.Add(withReason("no_source_field"));
    baseLabels_ = labels;

    if (settings_.emf) {
      if (auto why = emf_.open(settings_.emf->output); !why.empty()) {
        return "metrics handler: " + why;
      }
    }
    return "";
  }

  runtime::DeliveryResult deliver(const runtime::Batch& batch) override {
    assert(records_ && "open() before deliver()");
    const std::int64_t now = clock_ ? clock_->nowMillis() : 0;
    const BatchSummary summary = summarizeBatch(batch.records, settings_.sourceField, now);
    // Sources beyond the bound fold into "other", and each keeps its counter.
    std::map<std::string, std::uint64_t, std::less<>> bounded;
    std::vector<std::pair<prometheus::Counter*, std::uint64_t>> sourceCounts;
    {
      std::lock_guard lock(sourcesMutex_);
      // In order of first appearance: the first max_sources distinct sources keep their series.
      for (const auto& source : summary.sourcesInOrder) {
        const std::string& label = admit(source);
        bounded[label] += summary.bySource.find(source)->second;
      }
      for (const auto& [label, count] : bounded) sourceCounts.emplace_back(sources_[label], count);
    }
    if (settings_.emf) {
      // Written before anything is counted: a failed write retries the batch without counting it
      // twice in Prometheus (the EMF lines of a partly written batch may repeat).
      const std::string lines =
          emfLines(summary, bounded, {settings_.emf->ns, stream_, settings_.environment}, now);
      if (auto error = write(lines); !error.empty()) {
        return runtime::DeliveryResult::retryLater(std::move(error));
      }
    }
    records_->Increment(static_cast<double>(summary.records));
    bytes_->Increment(static_cast<double>(summary.bytes));
    if (summary.records > 0)
      uniquePartitions_->Observe(static_cast<double>(summary.uniquePartitions));
    observeLatencies(summary.latenciesMs);
    for (const auto& [counter, count] : sourceCounts)
      counter->Increment(static_cast<double>(count));
    if (summary.notJson) notJson_->Increment(static_cast<double>(summary.notJson));
    if (summary.noSourceField)
      noSourceField_->Increment(static_cast<double>(summary.noSourceField));
    return runtime::DeliveryResult::ok();
  }

  void close() override { emf_.close(); }

 private:
  // The label a source is counted under; creates its counter on first use. sourcesMutex_ held.
  const std::string& admit(const std::string& source) {
    static const std::string kOther = "other";
    if (auto it = sources_.find(source); it != sources_.end()) return it->first;
    if (admitted_ >= settings_.maxSources) {
      auto [it, inserted] = sources_.try_emplace(kOther, nullptr);
      if (inserted) it->second = &bySource_->Add(labelsWith("source", kOther));
      return kOther;
    }
    admitted_ += 1;
    auto [it, _] = sources_.emplace(source, &bySource_->Add(labelsWith("source", source)));
    return it->first;
  }

  prometheus::Labels labelsWith(const std::string& key, const std::string& value) const {
    auto l = baseLabels_;
    l[key] = value;
    return l;
  }

  // One Histogram::ObserveMultiple per batch instead of a locked Observe per record.
  void observeLatencies(const std::vector<std::int64_t>& latenciesMs) {
    if (latenciesMs.empty()) return;
    const auto& bounds = processingLatencyBuckets();
    std::vector<double> increments(bounds.size() + 1, 0.0);
    double sum = 0;
    for (const auto ms : latenciesMs) {
      const double s = static_cast<double>(ms) / 1000.0;
      sum += s;
      const auto bucket = std::lower_bound(bounds.begin(), bounds.end(), s) - bounds.begin();
      increments[static_cast<std::size_t>(bucket)] += 1;
    }
    latency_->ObserveMultiple(increments, sum);
  }

  std::string write(const std::string& text) {
    if (!emf_.isOpen()) return "metrics handler: the EMF output is closed";
    if (auto why = emf_.write(text); !why.empty()) return "metrics handler: " + why;
    return "";
  }

  MetricsSettings settings_;
  const Clock* clock_ = nullptr;
  std::string stream_;
  std::unique_ptr<ops::MetricsRegistry> ownRegistry_;
  prometheus::Labels baseLabels_;
  prometheus::Counter* records_ = nullptr;
  prometheus::Counter* bytes_ = nullptr;
  prometheus::Histogram* uniquePartitions_ = nullptr;
  prometheus::Histogram* latency_ = nullptr;
  prometheus::Family<prometheus::Counter>* bySource_ = nullptr;
  prometheus::Counter* notJson_ = nullptr;
  prometheus::Counter* noSourceField_ = nullptr;

  std::mutex sourcesMutex_;  // guards sources_, admitted_
  std::map<std::string, prometheus::Counter*, std::less<>> sources_;
  std::size_t admitted_ = 0;  // distinct sources with their own series

  TextOutput emf_;  // the EMF lines, when configured
};

}  // namespace

std::unique_ptr<runtime::Handler> buildMetricsHandler(const nlohmann::json& settings,
                                                      const std::string& path,
                                                      std::vector<std::string>& errors) {
  const std::size_t before = errors.size();
  MetricsSettings s;
  {
    config::ObjectReader r(settings, path, errors);
    auto nonEmpty = [](const std::string& v) -> std::string {
      return v.empty() ? "must not be empty" : "";
    };
    r.string("environment", s.environment, nonEmpty);
    r.string("source_field", s.sourceField, nonEmpty);
    r.integer("max_sources", s.maxSources, 0, 1000);
    r.object("emf", [&s](config::ObjectReader& emf) {
      EmfSettings e;
      emf.string("namespace", e.ns, [](const std::string& v) -> std::string {
        return v.empty() || v.size() > 255 ? "must be 1 to 255 characters" : "";
      });
      emf.string("output", e.output, [](const std::string& v) -> std::string {
        return v.empty() ? "must be \"stdout\" or a file path" : "";
      });
      s.emf = std::move(e);
    });
  }  // the reader reports unknown keys when it goes out of scope
  if (errors.size() != before) return nullptr;
  return std::make_unique<MetricsHandler>(std::move(s));
}

}  // namespace kbridge::handlers
