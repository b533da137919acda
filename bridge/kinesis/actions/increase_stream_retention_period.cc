// IncreaseStreamRetentionPeriod: raises the topic's retention.ms (Kafka deletes by it, as Kinesis
// trims by the retention period).

#include "kinesis/actions/actions.h"
#include "kinesis/actions/stream_retention.h"

namespace kbridge::kinesis::actions {

void increaseStreamRetentionPeriod(ActionCall call) {
  runOnControl(std::move(call), [](const Json& input, WireFormat, Services& services) {
    return changeRetention(input, services, RetentionChange::kIncrease);
  });
}

}  // namespace kbridge::kinesis::actions
