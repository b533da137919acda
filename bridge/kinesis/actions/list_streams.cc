// ListStreams: stream names in order, with StreamSummaries, paged by ExclusiveStartStreamName or
// NextToken.

#include <algorithm>

#include "kinesis/actions/actions.h"
#include "kinesis/actions/common.h"
#include "kinesis/kafka_error_mapping.h"
#include "streams/catalog.h"

namespace kbridge::kinesis::actions {
namespace {

ApiResult<Json> listStreams(const Json& input, WireFormat format, Services& services) {
  std::string after = input.value("ExclusiveStartStreamName", "");
  // Kinesis returns at most 100 streams per call, whatever Limit asks for.
  const int limit = std::min(input.value("Limit", 100), 100);
  if (input.contains("NextToken")) {
    auto token = decodePageToken(input["NextToken"].get<std::string>(), "streams",
                                 services.clock->nowMillis());
    if (!token) return fail(token.error());
    after = token->after;
  }
  if (auto synced = services.catalog->sync(); !synced) return fail(toApiError(synced.error()));
  Json names = Json::array();
  Json summaries = Json::array();
  bool more = false;
  std::string last;
  for (const auto& meta : services.catalog->list()) {
    if (!after.empty() && meta.name <= after) continue;
    if (static_cast<int>(names.size()) == limit) {
      more = true;
      break;
    }
    names.push_back(meta.name);
    summaries.push_back({{"StreamName", meta.name},
                         {"StreamARN", streamArn(meta.name, *services.config)},
                         {"StreamStatus", streams::statusName(meta.status)},
                         {"StreamModeDetails", modeDetailsJson(meta)},
                         {"StreamCreationTimestamp", timestampValue(meta.creationTimeMs, format)}});
    last = meta.name;
  }
  Json out{{"StreamNames", std::move(names)},
           {"HasMoreStreams", more},
           {"StreamSummaries", std::move(summaries)}};
  if (more) {
    PageToken token;
    token.kind = "streams";
    token.after = last;
    token.issuedMs = services.clock->nowMillis();
    out["NextToken"] = encodePageToken(token);
  }
  return out;
}

}  // namespace

void listStreams(ActionCall call) {
  runOnControl(std::move(call), &listStreams);
}

}  // namespace kbridge::kinesis::actions
