#pragma once
// What an http_poll run makes of a response (seed 002's URL-ingestion function): a JSON array
// becomes one record per element, any other JSON value one record, each wrapped as
// {"timestamp": <ISO time of the run>, "sourceUrl": <url>, "data": <element>}. Pure functions.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sources/http_fetcher.h"
#include "sources/run_result.h"

namespace kbridge::sources {

struct PolledRecords {
  RunOutcome outcome = RunOutcome::kOk;  // kOk, or why there are no records
  std::string error;
  std::vector<std::string> data;  // one record's data each
};

// Interprets one fetch: transport errors, non-2xx statuses and bodies that are not JSON are
// errors (the run puts nothing); an empty array puts nothing and is ok.
PolledRecords recordsOfResponse(const FetchResponse& response, const std::string& url,
                                std::int64_t nowMs);

// {"timestamp": iso, "sourceUrl": url, "data": element}, compact; the element's keys keep
// their order.
std::string wrapElement(const nlohmann::ordered_json& element, const std::string& url,
                        const std::string& isoTimestamp);

}  // namespace kbridge::sources
