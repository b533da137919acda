#pragma once
// Shared by PutRecord, PutRecords and the REST ingest route: the validated input of one record,
// finding the stream without blocking an HTTP thread, routing a record to its shard, per-shard
// write limits, the wire errors of a failed delivery, and producing a batch of records.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kafka/producer.h"
#include "kinesis/action.h"
#include "streams/stream_meta.h"

namespace kbridge::kinesis::actions {

// One record of a validated PutRecord input or PutRecords entry. Built from the generic Json tree
// or directly by the JSON 1.1 readers (records_json.h); its strings move on into the Kafka record.
struct RecordInput {
  std::string partitionKey;
  std::optional<std::string> explicitHashKey;
  std::string data;  // decoded bytes
};

// Moves the fields of a validated entry (PartitionKey, ExplicitHashKey, Data) out of `entry`.
RecordInput recordInputOf(Json& entry);

// Calls `then` with the stream when this instance knows it (no Kafka round trip); otherwise syncs
// the catalog on the control executor first, so a stream just created through another instance is
// found. Replies ResourceNotFoundException itself when the stream does not exist or is not
// writable (ACTIVE or UPDATING).
void withWritableStream(ActionCall call, const std::string& name,
                        std::function<void(ActionCall, streams::StreamMeta)> then);

// The Kafka record for one record, routed to its shard: ExplicitHashKey when given
// (InvalidArgumentException outside [0, 2^128 - 1]), else MD5 of the partition key. Moves the key
// and data out of `input` only on success.
ApiResult<kafka::OutgoingRecord> recordFor(const streams::StreamMeta& stream, RecordInput& input);

// The error recordFor() would give for the first record that does not route (a dry run's check).
ApiStatus checkRoutes(const streams::StreamMeta& stream, const std::vector<RecordInput>& records);

// True when the optional per-shard write limits (services.limits) admit one more record of
// `bytes` (data + partition key) on `shard`; always true when limits are off.
bool admitWrite(const Services& services, const std::string& stream, std::uint32_t shard,
                std::size_t bytes);

// The wire error of a record Kafka did not acknowledge.
ApiError deliveryError(const kafka::KafkaError& error, const streams::StreamMeta& stream,
                       std::uint32_t shard, const config::Config& config);

// One record's outcome in produceRecords(): its shard, and its sequence number or its error.
struct RecordOutcome {
  std::uint32_t shard = 0;
  std::string sequenceNumber;     // empty when failed
  std::optional<ApiError> error;  // refused by its shard's write limit, or not acknowledged
};

// Routes `records` to their shards (a bad ExplicitHashKey fails the whole call before anything
// is produced, as in Kinesis), admits each against the per-shard write limits, produces the
// admitted ones as one batch and calls `done` with one outcome per record, in request order, once
// Kafka has answered for every one of them.
void produceRecords(Services& services, streams::StreamMeta stream,
                    std::vector<RecordInput> records,
                    std::function<void(ApiResult<std::vector<RecordOutcome>>)> done);

}  // namespace kbridge::kinesis::actions
