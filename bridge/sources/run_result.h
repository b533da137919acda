#pragma once
// The outcome of one source run, as counted in kbridge_source_runs_total{outcome} and answered by
// POST /api/sources/{name}/run.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace kbridge::sources {

enum class RunOutcome {
  kOk,             // every record was acknowledged by Kafka (possibly none)
  kFetchFailed,    // http_poll: connection refused, DNS, reset, TLS ...
  kTimeout,        // http_poll: connect or total timeout
  kHttpStatus,     // http_poll: a status outside 2xx
  kNotJson,        // http_poll: the body is not JSON
  kTooLarge,       // http_poll: the body exceeds max_response_bytes
  kStreamMissing,  // the stream does not exist (yet) or is not writable
  kPutFailed,      // at least one record was not acknowledged (the others were put)
  kCancelled,      // shutdown interrupted the run
};

inline constexpr RunOutcome kAllRunOutcomes[] = {RunOutcome::kOk,
                                                 RunOutcome::kFetchFailed,
                                                 RunOutcome::kTimeout,
                                                 RunOutcome::kHttpStatus,
                                                 RunOutcome::kNotJson,
                                                 RunOutcome::kTooLarge,
                                                 RunOutcome::kStreamMissing,
                                                 RunOutcome::kPutFailed,
                                                 RunOutcome::kCancelled};

// "ok", "fetch_failed", "timeout", "http_status", "not_json", "too_large", "stream_missing",
// "put_failed", "cancelled".
std::string_view outcomeName(RunOutcome outcome);

struct RunResult {
  std::string source;
  RunOutcome outcome = RunOutcome::kOk;
  std::size_t recordsPut = 0;
  std::size_t recordsFailed = 0;
  std::string error;  // empty when ok
  std::int64_t startedMs = 0;
  std::int64_t durationMs = 0;
};

// {"source", "outcome", "recordsPut", "recordsFailed", "error"?, "startedAt", "durationMs"}.
nlohmann::json toJson(const RunResult& result);
// The HTTP status for POST /api/sources/{name}/run: 200 when ok; 502 when the fetched URL failed;
// 503 when the stream is missing, Kafka failed, or kbridge is shutting down.
int httpStatusOf(const RunResult& result);

}  // namespace kbridge::sources
