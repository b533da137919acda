// UpdateStreamMode: PROVISIONED <-> ON_DEMAND. A stream's mode is catalog metadata in kbridge (its
// topic and shards stay as they are; there is no capacity to scale), so the change is immediate
// where Kinesis passes through UPDATING. The account's on-demand stream limit holds as in
// CreateStream; WarmThroughputMiBps is accepted and has no effect.

#include "kinesis/actions/actions.h"
#include "kinesis/actions/common.h"
#include "kinesis/kafka_error_mapping.h"
#include "streams/catalog.h"

namespace kbridge::kinesis::actions {
namespace {

ApiResult<Json> updateStreamMode(const Json& input, WireFormat, Services& services) {
  auto name = streamNameOf(input, services);
  if (!name) return fail(name.error());
  const bool onDemand = input.at("StreamModeDetails").at("StreamMode") == "ON_DEMAND";
  const auto mode = onDemand ? streams::StreamMode::kOnDemand : streams::StreamMode::kProvisioned;
  std::lock_guard writeLock(services.catalog->writeMutex());
  auto meta = loadStream(*name, services);
  if (!meta) return fail(meta.error());
  if (auto active = requireActive(*meta, services); !active) return fail(active.error());
  if (meta->mode == mode) return noOutput();
  if (onDemand) {
    if (auto ok = checkOnDemandStreamLimit(services.catalog->list(), *services.config); !ok) {
      return fail(ok.error());
    }
  }
  meta->mode = mode;
  if (auto put = services.catalog->put(*meta); !put) return fail(toApiError(put.error()));
  return noOutput();
}

}  // namespace

void updateStreamMode(ActionCall call) {
  runOnControl(std::move(call), &updateStreamMode);
}

}  // namespace kbridge::kinesis::actions
