#pragma once
// The path a Kinesis request body takes from bytes to a validated input (kinesis/codec.h,
// kinesis/shape.h), shared by the JSON and CBOR targets. An input is "<Operation>\n<body>": the
// operation picks the input shape (an unknown name only decodes the body).
//
// Invariants:
//  - decoding fails only with SerializationException, validation only with Serialization or
//    ValidationException (with a message), and a decoded tree is an object;
//  - encode(decode(x)) decodes to the same tree (values compared as the format carries them);
//  - the answers the dispatcher would build from either (encodeBody of the validated input and
//    of the error) never throw;
//  - JSON only: when the direct PutRecord(s) readers (actions/records_json.h) accept a body, the
//    generic path accepts it too, with the same values.

#include <cmath>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "kinesis/actions/records_json.h"
#include "kinesis/codec.h"
#include "kinesis/model.h"
#include "kinesis/shape.h"

namespace kbridge::fuzz {

using kinesis::ErrorType;
using kinesis::Json;
using kinesis::WireFormat;

// NaN is the one value that does not equal itself; a tree holding one cannot be compared.
inline bool hasNaN(const Json& v) {
  if (v.is_number_float()) return std::isnan(v.get<double>());
  if (v.is_structured()) {
    for (const auto& item : v) {
      if (hasNaN(item)) return true;
    }
  }
  return false;
}

inline bool hasBinary(const Json& v) {
  if (v.is_binary()) return true;
  if (v.is_structured()) {
    for (const auto& item : v) {
      if (hasBinary(item)) return true;
    }
  }
  return false;
}

inline void checkRoundTrip(const Json& tree, WireFormat format) {
  const std::string encoded = kinesis::encodeBody(tree, format);
  FUZZ_CHECK(!encoded.empty());
  auto again = kinesis::decodeBody(encoded, format);
  FUZZ_CHECK(again.ok());
  if (format == WireFormat::kJson) {
    // JSON is written with invalid UTF-8 replaced and infinities as null, so compare the second
    // trip with the first: encoding is then a fixed point.
    FUZZ_CHECK(kinesis::encodeBody(*again, format) == encoded);
  } else if (!hasNaN(tree)) {
    FUZZ_CHECK(*again == tree);
  }
}

inline const Json* member(const Json& object, const char* name) {
  const auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

// The generic path's value of one validated record equals what the direct reader read.
inline void checkSameRecord(const Json& entry, const kinesis::actions::RecordInput& record) {
  const Json* key = member(entry, "PartitionKey");
  FUZZ_CHECK(key && key->get<std::string>() == record.partitionKey);
  const Json* data = member(entry, "Data");
  FUZZ_CHECK(data && data->is_binary());
  FUZZ_CHECK(std::string(data->get_binary().begin(), data->get_binary().end()) == record.data);
  const Json* hash = member(entry, "ExplicitHashKey");
  FUZZ_CHECK(static_cast<bool>(hash) == record.explicitHashKey.has_value());
  if (hash) FUZZ_CHECK(hash->get<std::string>() == *record.explicitHashKey);
}

inline void checkDirectReaders(std::string_view body) {
  if (auto direct = kinesis::actions::readPutRecordsJson(body)) {
    auto decoded = kinesis::decodeBody(body, WireFormat::kJson);
    FUZZ_CHECK(decoded.ok());
    auto input = kinesis::validateInput(*decoded, kinesis::kPutRecordsInput, WireFormat::kJson);
    FUZZ_CHECK(input.ok());
    const Json* name = member(*input, "StreamName");
    FUZZ_CHECK(name && name->get<std::string>() == direct->streamName);
    const Json* records = member(*input, "Records");
    FUZZ_CHECK(records && records->size() == direct->records.size());
    for (std::size_t i = 0; i < direct->records.size(); ++i) {
      checkSameRecord((*records)[i], direct->records[i]);
    }
  }
  if (auto direct = kinesis::actions::readPutRecordJson(body)) {
    auto decoded = kinesis::decodeBody(body, WireFormat::kJson);
    FUZZ_CHECK(decoded.ok());
    auto input = kinesis::validateInput(*decoded, kinesis::kPutRecordInput, WireFormat::kJson);
    FUZZ_CHECK(input.ok());
    const Json* name = member(*input, "StreamName");
    FUZZ_CHECK(name && name->get<std::string>() == direct->streamName);
    checkSameRecord(*input, direct->record);
    const Json* ordering = member(*input, "SequenceNumberForOrdering");
    FUZZ_CHECK(static_cast<bool>(ordering) == direct->sequenceNumberForOrdering.has_value());
    if (ordering) FUZZ_CHECK(ordering->get<std::string>() == *direct->sequenceNumberForOrdering);
  }
}

inline void fuzzRequest(const unsigned char* data, std::size_t size, WireFormat format) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto newline = text.find('\n');
  if (newline == std::string_view::npos) return;
  const std::string_view operation = text.substr(0, newline);
  const std::string_view body = text.substr(newline + 1);

  if (format == WireFormat::kJson) checkDirectReaders(body);

  auto decoded = kinesis::decodeBody(body, format);
  if (!decoded) {
    FUZZ_CHECK(decoded.error().type == ErrorType::kSerialization);
    return;
  }
  FUZZ_CHECK(decoded->is_object());
  checkRoundTrip(*decoded, format);

  const kinesis::Shape* shape = kinesis::inputShapeFor(operation);
  if (shape == nullptr) return;
  auto input = kinesis::validateInput(*decoded, *shape, format);
  if (!input) {
    const auto type = input.error().type;
    FUZZ_CHECK(type == ErrorType::kSerialization || type == ErrorType::kValidation);
    if (type == ErrorType::kValidation) FUZZ_CHECK(!input.error().message.empty());
    const Json error{{"__type", kinesis::errorTypeName(type)}, {"message", input.error().message}};
    FUZZ_CHECK(!kinesis::encodeBody(error, format).empty());
    return;
  }
  FUZZ_CHECK(input->is_object());
  // A validated tree holds blobs as binary values, which only CBOR carries as such.
  if (format == WireFormat::kCbor || !hasBinary(*input)) checkRoundTrip(*input, format);
}

}  // namespace kbridge::fuzz
