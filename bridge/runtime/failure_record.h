#pragma once
// The record a mapping sends to its on_failure destination when it gives up on records: Lambda's
// Kinesis failure record (requestContext.condition, KinesisBatchInfo with shard, first/last
// sequence number, first/last arrival time, batch size and stream ARN), plus the handler's last
// error text and, when configured, the records themselves in Lambda's event-record form.

#include <cstdint>
#include <string>

#include "runtime/handler.h"
#include "runtime/shard_pipeline.h"

namespace kbridge::runtime {

std::string failureRecordJson(const HandlerContext& context, std::string_view shardId,
                              const PipelineTask& task, bool includeRecords, std::int64_t nowMs);

// 1545084650987 → "2018-12-17T22:10:50.987Z".
std::string isoMillis(std::int64_t epochMs);

}  // namespace kbridge::runtime
