#pragma once
// The shared core of IncreaseStreamRetentionPeriod and DecreaseStreamRetentionPeriod.

#include "kinesis/action.h"

namespace kbridge::kinesis::actions {

enum class RetentionChange { kIncrease, kDecrease };

// Checks the requested period against Kinesis's bounds and the current period, then sets the
// topic's retention.ms and the catalog record.
ApiResult<Json> changeRetention(const Json& input, Services& services, RetentionChange change);

}  // namespace kbridge::kinesis::actions
