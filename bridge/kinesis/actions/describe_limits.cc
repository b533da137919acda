// DescribeLimits: the configured account limits and current usage across all streams.

#include "kinesis/actions/actions.h"
#include "kinesis/actions/common.h"
#include "kinesis/kafka_error_mapping.h"
#include "streams/catalog.h"

namespace kbridge::kinesis::actions {
namespace {

ApiResult<Json> describeLimits(const Json&, WireFormat, Services& services) {
  if (auto synced = services.catalog->sync(); !synced) return fail(toApiError(synced.error()));
  int openShards = 0;
  int onDemand = 0;
  for (const auto& s : services.catalog->list()) {
    openShards += s.openShardCount();
    onDemand += s.mode == streams::StreamMode::kOnDemand ? 1 : 0;
  }
  const auto& limits = services.config->streams;
  return Json{{"ShardLimit", limits.shardLimit},
              {"OpenShardCount", openShards},
              {"OnDemandStreamCount", onDemand},
              {"OnDemandStreamCountLimit", limits.onDemandStreamLimit}};
}

}  // namespace

void describeLimits(ActionCall call) {
  runOnControl(std::move(call), &describeLimits);
}

}  // namespace kbridge::kinesis::actions
