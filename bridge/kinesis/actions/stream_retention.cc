#include "kinesis/actions/stream_retention.h"

#include "kafka/admin.h"
#include "kinesis/actions/common.h"
#include "kinesis/kafka_error_mapping.h"
#include "streams/catalog.h"

namespace kbridge::kinesis::actions {

ApiResult<Json> changeRetention(const Json& input, Services& services, RetentionChange change) {
  auto name = streamNameOf(input, services);
  if (!name) return fail(name.error());
  const int hours = input.at("RetentionPeriodHours").get<int>();
  std::lock_guard writeLock(services.catalog->writeMutex());
  auto meta = loadStream(*name, services);
  if (!meta) return fail(meta.error());
  if (auto active = requireActive(*meta, services); !active) return fail(active.error());
  if (auto ok = refuseAdopted(*meta, services, "change the retention of"); !ok) {
    return fail(ok.error());
  }
  const std::string requested = "Requested retention period (" + std::to_string(hours) + " hours)";
  if (hours < 24) {
    return apiError(ErrorType::kInvalidArgument, "Minimum allowed retention period is 24 hours. " +
                                                     requested + " is too short.");
  }
  if (hours > 8760) {
    return apiError(
        ErrorType::kInvalidArgument,
        "Maximum allowed retention period is 8760 hours. " + requested + " is too long.");
  }
  const int current = meta->retentionHours;
  if (change == RetentionChange::kIncrease && hours < current) {
    return apiError(ErrorType::kInvalidArgument,
                    requested + " for stream " + *name +
                        " can not be shorter than existing retention period (" +
                        std::to_string(current) + " hours). Use DecreaseRetentionPeriod API.");
  }
  if (change == RetentionChange::kDecrease && hours > current) {
    return apiError(ErrorType::kInvalidArgument,
                    requested + " for stream " + *name +
                        " can not be longer than existing retention period (" +
                        std::to_string(current) + " hours). Use IncreaseRetentionPeriod API.");
  }
  auto updated = services.admin->updateTopicConfigs(
      meta->topic, {{"retention.ms", std::to_string(std::int64_t{hours} * 3'600'000)}});
  if (!updated) return fail(toApiError(updated.error()));
  meta->retentionHours = hours;
  if (auto put = services.catalog->put(*meta); !put) return fail(toApiError(put.error()));
  return noOutput();
}

}  // namespace kbridge::kinesis::actions
