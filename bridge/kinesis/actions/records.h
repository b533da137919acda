#pragma once
// Shared by PutRecord and PutRecords: finding the stream without blocking an HTTP thread, routing
// a record to its shard, and the wire errors of a failed delivery.

#include <functional>
#include <optional>
#include <string>

#include "kafka/producer.h"
#include "kinesis/action.h"
#include "streams/stream_meta.h"

namespace kbridge::kinesis::actions {

// Calls `then` with the stream when this instance knows it (no Kafka round trip); otherwise syncs
// the catalog on the control executor first, so a stream just created through another instance is
// found. Replies ResourceNotFoundException itself when the stream does not exist or is not
// writable (ACTIVE or UPDATING).
void withWritableStream(ActionCall call, const std::string& name,
                        std::function<void(ActionCall, streams::StreamMeta)> then);

// The Kafka record for one validated PutRecord input or PutRecords entry (PartitionKey, Data,
// ExplicitHashKey), routed to its shard: ExplicitHashKey when given (InvalidArgumentException
// outside [0, 2^128 - 1]), else MD5 of the partition key.
ApiResult<kafka::OutgoingRecord> recordFor(const streams::StreamMeta& stream, const Json& entry);

// The wire error of a record Kafka did not acknowledge.
ApiError deliveryError(const kafka::KafkaError& error, const streams::StreamMeta& stream,
                       std::uint32_t shard, const config::Config& config);

}  // namespace kbridge::kinesis::actions
