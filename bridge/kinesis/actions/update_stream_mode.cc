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
  const auto& config = *services.config;
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
    int onDemandStreams = 0;
    for (const auto& s : services.catalog->list()) {
      onDemandStreams += s.mode == streams::StreamMode::kOnDemand ? 1 : 0;
    }
    if (onDemandStreams + 1 > config.streams.onDemandStreamLimit) {
      return apiError(ErrorType::kLimitExceeded,
                      "This request would exceed the on-demand stream limit for the account " +
                          config.kinesis.accountId + " in " + config.kinesis.region +
                          ". Current on-demand stream count: " + std::to_string(onDemandStreams) +
                          ". Limit: " + std::to_string(config.streams.onDemandStreamLimit) + ".");
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
