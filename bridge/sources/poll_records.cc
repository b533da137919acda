#include "sources/poll_records.h"

#include "sources/record_template.h"

namespace kbridge::sources {
namespace {

PolledRecords failed(RunOutcome outcome, std::string error) {
  PolledRecords out;
  out.outcome = outcome;
  out.error = std::move(error);
  return out;
}

// The start of a body for a log line or an error message, printable and short.
std::string excerpt(const std::string& body) {
  std::string out;
  for (char c : body.substr(0, 120)) out += (c >= 0x20 && c < 0x7F) ? c : '.';
  return body.size() > 120 ? out + "..." : out;
}

}  // namespace

std::string wrapElement(const nlohmann::ordered_json& element, const std::string& url,
                        const std::string& isoTimestamp) {
  nlohmann::ordered_json record;  // keys in the seed's order
  record["timestamp"] = isoTimestamp;
  record["sourceUrl"] = url;
  record["data"] = element;
  return record.dump();
}

PolledRecords recordsOfResponse(const FetchResponse& response, const std::string& url,
                                std::int64_t nowMs) {
  switch (response.status) {
    case FetchStatus::kResponse:
      break;
    case FetchStatus::kTimeout:
      return failed(RunOutcome::kTimeout, "GET " + url + ": " + response.error);
    case FetchStatus::kTooLarge:
      return failed(RunOutcome::kTooLarge, "GET " + url + ": " + response.error);
    case FetchStatus::kCancelled:
      return failed(RunOutcome::kCancelled, "GET " + url + ": cancelled");
    case FetchStatus::kFailed:
      return failed(RunOutcome::kFetchFailed, "GET " + url + ": " + response.error);
  }
  if (response.httpStatus < 200 || response.httpStatus > 299) {
    return failed(RunOutcome::kHttpStatus, "GET " + url + ": HTTP " +
                                               std::to_string(response.httpStatus) + ": " +
                                               excerpt(response.body));
  }
  const auto doc =
      nlohmann::ordered_json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return failed(RunOutcome::kNotJson,
                  "GET " + url + ": the response is not JSON: " + excerpt(response.body));
  }
  PolledRecords out;
  const std::string timestamp = isoTime(nowMs);
  if (doc.is_array()) {
    out.data.reserve(doc.size());
    for (const auto& element : doc) out.data.push_back(wrapElement(element, url, timestamp));
  } else {
    out.data.push_back(wrapElement(doc, url, timestamp));
  }
  return out;
}

}  // namespace kbridge::sources
