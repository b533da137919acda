#pragma once
// PutRecord and PutRecords in JSON 1.1 read and answered directly, without Json trees: the write
// path's hot spot was the generic parse, shape validation and serialization, not Kafka.
//
// The readers accept only the common form: an object whose members are the action's known
// strings (StreamName, and PartitionKey/Data/ExplicitHashKey per record) in any order, each once,
// plain printable ASCII without escapes, every value within the input shape's constraints. They
// return nullopt for anything else — other members, StreamARN, nulls, escapes, non-ASCII text,
// any constraint broken — and the caller takes the generic path, which then gives the answer the
// generic path gives (errors included). So a request read here is one the generic path would have
// accepted with the same values. Data is base64-decoded straight into the string that becomes the
// Kafka record's value.
//
// The writers produce what encodeBody() of the equivalent Json tree produces; a unit test holds
// the two together.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kinesis/actions/records.h"

namespace kbridge::kinesis::actions {

struct PutRecordsJsonInput {
  std::string streamName;
  std::vector<RecordInput> records;
};
std::optional<PutRecordsJsonInput> readPutRecordsJson(std::string_view body);

struct PutRecordJsonInput {
  std::string streamName;
  RecordInput record;
  std::optional<std::string> sequenceNumberForOrdering;
};
std::optional<PutRecordJsonInput> readPutRecordJson(std::string_view body);

// One entry of a PutRecords answer: a written record, or a failed one.
struct PutRecordsResultEntry {
  std::string sequenceNumber;  // empty when failed
  std::uint32_t shard = 0;
  std::string_view errorCode;  // set when failed
  std::string errorMessage;
};
std::string putRecordsResponseJson(const std::vector<PutRecordsResultEntry>& entries,
                                   int failedCount);
std::string putRecordResponseJson(std::uint32_t shard, const std::string& sequenceNumber);

// A JSON string literal, escaped as encodeBody() escapes it.
void appendJsonString(std::string& out, std::string_view s);

}  // namespace kbridge::kinesis::actions
