#pragma once
// Lambda's Kinesis event, both ways: the event JSON a Lambda function receives for a batch
// (written directly into a string, no JSON tree), and the interpretation of the function's reply
// under ReportBatchItemFailures. Shared by the webhook handler (the whole event) and the log
// handler's "json" format (one record per line).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "runtime/handler.h"

namespace kbridge::handlers {

// Appends `text` as a JSON string literal, quotes included. Bytes that are not valid UTF-8 become
// U+FFFD, as nlohmann::json's replace handler does, so the output is always valid JSON.
void appendJsonString(std::string& out, std::string_view text);

bool isValidUtf8(std::string_view text);

// The length of the valid UTF-8 sequence that `text` starts with (1 to 4), or 0 when it does not
// start with one (or is empty).
std::size_t utf8SequenceLength(std::string_view text);

// The longest prefix of `text` of at most `maxBytes` bytes that does not cut a UTF-8 sequence.
std::string_view utf8Prefix(std::string_view text, std::size_t maxBytes);

// Epoch seconds with the millisecond fraction as a JSON number ("1545084650.987"), trailing zeros
// dropped ("1545084650.9", "1545084650"): the text GetRecords' JSON encoding produces.
void appendEpochSeconds(std::string& out, std::int64_t epochMillis);

// "arn:aws:iam::<account>:role/kbridge": the invokeIdentityArn of every event kbridge writes.
std::string invokeIdentityArn(std::string_view accountId);

// Writes Lambda's Kinesis event for one mapping:
//   {"Records":[{"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":..,"sequenceNumber":..,
//     "data":<base64>,"approximateArrivalTimestamp":<seconds>},"eventSource":"aws:kinesis",
//     "eventVersion":"1.0","eventID":"<shardId>:<seq>","eventName":"aws:kinesis:record",
//     "invokeIdentityArn":..,"awsRegion":..,"eventSourceARN":..},...]}
// Lifecycle: built from the mapping's context at the handler's open(); immutable afterwards, so
// one writer serves all delivering threads.
class LambdaEventWriter {
 public:
  explicit LambdaEventWriter(const runtime::HandlerContext& context);

  // The whole event for a batch.
  std::string event(const runtime::Batch& batch) const;

  // Appends one element of "Records". With maxDataBytes > 0, "data" holds the base64 of at most
  // that many leading bytes of the record (the log handler's truncation).
  void appendRecord(std::string& out, std::string_view shardId, const runtime::Record& record,
                    std::size_t maxDataBytes = 0) const;

 private:
  std::string tail_;  // ,"invokeIdentityArn":..,"awsRegion":..,"eventSourceARN":..}
};

// Applies Lambda's ReportBatchItemFailures rules to the body of a successful (2xx) reply for
// `records` (docs: "Configuring partial batch response with Kinesis Data Streams and Lambda"):
//  - success: an empty body, a body that is not a JSON object, an object without
//    "batchItemFailures", or a null or empty "batchItemFailures" list;
//  - whole-batch failure: an item whose "itemIdentifier" is missing (a bad key name), null, empty,
//    not a string, or not a sequence number of this batch, and a "batchItemFailures" that is
//    neither null nor a list;
//  - otherwise the records from the lowest failed sequence number on failed.
// Every failure found in a reply carries firstFailed (0 when the whole batch failed): the
// invocation itself succeeded, and the runtime only honours what the reply says when the mapping
// has report_batch_item_failures — otherwise it treats a result with firstFailed as delivered,
// exactly as Lambda ignores the reply without ReportBatchItemFailures. Records in a batch are in
// sequence-number order, so the lowest failed sequence number is the lowest failed index.
runtime::DeliveryResult interpretReply(std::string_view body,
                                       std::span<const runtime::Record> records);

}  // namespace kbridge::handlers
