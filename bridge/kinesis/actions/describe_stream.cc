// DescribeStream: the stream with a page of its shards (Limit, ExclusiveStartShardId).

#include <algorithm>

#include "kinesis/actions/actions.h"
#include "kinesis/actions/common.h"
#include "streams/catalog.h"

namespace kbridge::kinesis::actions {
namespace {

ApiResult<Json> describeStream(const Json& input, WireFormat format, Services& services) {
  auto name = streamNameOf(input, services);
  if (!name) return fail(name.error());
  auto meta = loadStream(*name, services);
  if (!meta) return fail(meta.error());
  // Kinesis returns at most 100 shards per call, whatever Limit asks for.
  const size_t limit = std::min(input.value("Limit", 100), 100);
  const std::string after = input.value("ExclusiveStartShardId", "");
  Json shards = Json::array();
  bool more = false;
  for (const auto& shard : meta->shards) {
    if (!after.empty() && streams::shardIdName(shard.index) <= after) continue;
    if (shards.size() == limit) {
      more = true;
      break;
    }
    shards.push_back(shardJson(shard));
  }
  return Json{{"StreamDescription",
               {{"StreamName", meta->name},
                {"StreamARN", streamArn(meta->name, *services.config)},
                {"StreamStatus", streams::statusName(meta->status)},
                {"StreamModeDetails", modeDetailsJson(*meta)},
                {"Shards", std::move(shards)},
                {"HasMoreShards", more},
                {"RetentionPeriodHours", meta->retentionHours},
                {"StreamCreationTimestamp", timestampValue(meta->creationTimeMs, format)},
                {"EnhancedMonitoring", enhancedMonitoringJson(*meta)},
                {"EncryptionType", "NONE"}}}};
}

}  // namespace

void describeStream(ActionCall call) {
  runOnControl(std::move(call), &describeStream);
}

}  // namespace kbridge::kinesis::actions
