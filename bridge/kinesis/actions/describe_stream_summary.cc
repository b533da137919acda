// DescribeStreamSummary: the stream without its shards, with open-shard and consumer counts.

#include "kinesis/actions/actions.h"
#include "kinesis/actions/common.h"
#include "streams/catalog.h"

namespace kbridge::kinesis::actions {
namespace {

ApiResult<Json> describeStreamSummary(const Json& input, WireFormat format, Services& services) {
  auto name = streamNameOf(input, services);
  if (!name) return fail(name.error());
  auto meta = loadStream(*name, services);
  if (!meta) return fail(meta.error());
  return Json{{"StreamDescriptionSummary",
               {{"StreamName", meta->name},
                {"StreamARN", streamArn(meta->name, *services.config)},
                {"StreamStatus", streams::statusName(meta->status)},
                {"StreamModeDetails", modeDetailsJson(*meta)},
                {"RetentionPeriodHours", meta->retentionHours},
                {"StreamCreationTimestamp", timestampValue(meta->creationTimeMs, format)},
                {"EnhancedMonitoring", enhancedMonitoringJson(*meta)},
                {"EncryptionType", "NONE"},
                {"OpenShardCount", meta->openShardCount()},
                {"ConsumerCount", meta->consumers.size()}}}};
}

}  // namespace

void describeStreamSummary(ActionCall call) {
  runOnControl(std::move(call), &describeStreamSummary);
}

}  // namespace kbridge::kinesis::actions
