#pragma once
// POST /api/ingest/stream: the seed's ingest route. The body is a JSON object or an array of them
// (any JSON values, in fact); each element becomes one record of the configured stream, its data
// the element's compact JSON text, its partition key the element's `partition_key_field` (a
// string, number or boolean) or else a random "partition-<epoch ms>-<random>" (seed 2's form).
//
// The records go through the Kinesis layer's routing, per-shard limits and the shared acks=all
// producer; the answer is sent when Kafka has answered for every record:
//   200 {"message", "count", "failedRecordCount": 0, "records": [{"sequenceNumber", "shardId",
//        "partitionKey"}]}
//   400 {"message"} — not JSON, not an object or array, empty, over 500 records, a record over
//        1 MiB (data + partition key), over 5 MiB in all (Kinesis's PutRecords limits)
//   503 {"message", ...} — Kafka unavailable or throttling (Retry-After: 1); records that did get
//        written are listed with their sequence numbers, the others with errorCode/errorMessage
//   500 {"message", ...} — the stream does not exist, or another failure
// Nothing here blocks the I/O thread: the stream lookup that needs Kafka runs on the control
// executor, as PutRecords' does.

#include <string>

#include "api/router.h"
#include "kinesis/action.h"

namespace kbridge::api {

struct IngestOptions {
  std::string stream;
  std::string partitionKeyField;  // "" = every record gets a random key
};

// `services` outlives the router's requests.
void addIngestRoute(ApiRouter& router, kinesis::Services& services, IngestOptions options);

inline constexpr std::size_t kMaxIngestRecords = 500;
inline constexpr std::size_t kMaxIngestRecordBytes = 1024 * 1024;
inline constexpr std::size_t kMaxIngestRequestBytes = 5 * 1024 * 1024;

}  // namespace kbridge::api
