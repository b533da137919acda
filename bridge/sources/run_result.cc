#include "sources/run_result.h"

#include "sources/record_template.h"

namespace kbridge::sources {

std::string_view outcomeName(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::kOk:
      return "ok";
    case RunOutcome::kFetchFailed:
      return "fetch_failed";
    case RunOutcome::kTimeout:
      return "timeout";
    case RunOutcome::kHttpStatus:
      return "http_status";
    case RunOutcome::kNotJson:
      return "not_json";
    case RunOutcome::kTooLarge:
      return "too_large";
    case RunOutcome::kStreamMissing:
      return "stream_missing";
    case RunOutcome::kPutFailed:
      return "put_failed";
    case RunOutcome::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

nlohmann::json toJson(const RunResult& result) {
  nlohmann::json out{{"source", result.source},
                     {"outcome", outcomeName(result.outcome)},
                     {"recordsPut", result.recordsPut},
                     {"recordsFailed", result.recordsFailed},
                     {"startedAt", isoTime(result.startedMs)},
                     {"durationMs", result.durationMs}};
  if (!result.error.empty()) out["error"] = result.error;
  return out;
}

int httpStatusOf(const RunResult& result) {
  switch (result.outcome) {
    case RunOutcome::kOk:
      return 200;
    case RunOutcome::kFetchFailed:
    case RunOutcome::kTimeout:
    case RunOutcome::kHttpStatus:
    case RunOutcome::kNotJson:
    case RunOutcome::kTooLarge:
      return 502;
    case RunOutcome::kStreamMissing:
    case RunOutcome::kPutFailed:
    case RunOutcome::kCancelled:
      return 503;
  }
  return 500;
}

}  // namespace kbridge::sources
