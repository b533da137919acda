// DecreaseStreamRetentionPeriod: lowers the topic's retention.ms; Kafka then deletes older
// segments, as Kinesis makes older records inaccessible.

#include "kinesis/actions/actions.h"
#include "kinesis/actions/stream_retention.h"

namespace kbridge::kinesis::actions {

void decreaseStreamRetentionPeriod(ActionCall call) {
  runOnControl(std::move(call), [](const Json& input, WireFormat, Services& services) {
    return changeRetention(input, services, RetentionChange::kDecrease);
  });
}

}  // namespace kbridge::kinesis::actions
