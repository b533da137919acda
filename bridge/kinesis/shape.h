#pragma once
// Declarative input shapes and their validation, following botocore's kinesis model: a shape has a
// type and the model's constraints (min/max, pattern, enum). validateInput() checks a decoded
// request against an operation's input shape exactly as Kinesis does:
//   1. type check, member by member; the first mismatch is a SerializationException with Coral's
//      wording ("class java.lang.String can not be converted to an Integer", "Start of list found
//      where not expected", "Expected map or null", ...);
//   2. constraint check of every member in the order the fields are declared, collecting at most 10
//      failures into one ValidationException: "2 validation errors detected: Value 'x' at
//      'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern:
//      [a-zA-Z0-9_.-]+; Value ..." (member paths are lowerCamel: 'tags.key',
//      'records.1.member.data').
// The result is a normalized tree: unknown members dropped, integers truncated toward -inf as Coral
// does, blobs decoded into Json binary values (from base64 in JSON; as-is in CBOR), timestamps as
// integer epoch milliseconds (JSON gives seconds as a number; CBOR gives the tagged number, seconds
// as float or milliseconds as integer per the Java SDK, see shape.cc).
//
// Shapes are immutable static data; validateInput is thread-safe.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <vector>

#include "kinesis/codec.h"

namespace kbridge::kinesis {

enum class ShapeType {
  kString,
  kInteger,
  kLong,
  kBoolean,
  kBlob,
  kTimestamp,
  kList,
  kMap,
  kStructure
};

struct Shape;

struct Field {
  std::string_view name;  // wire name, e.g. "StreamName"
  const Shape* shape;
  bool required = false;  // "Member must not be null" when absent
};

struct Shape {
  ShapeType type = ShapeType::kString;
  // botocore's min/max: length for strings (UTF-16 code units, as Java counts), blobs (bytes),
  // lists and maps (entries); value for integers and longs.
  std::optional<std::int64_t> min;
  std::optional<std::int64_t> max;
  std::string_view pattern;                  // full-match ECMAScript regex; empty = none
  std::vector<std::string_view> enumValues;  // empty = any
  const Shape* member = nullptr;             // list member / map value
  const Shape* key = nullptr;                // map key
  std::vector<Field> fields;                 // structure members, in validation order
  // The model's shape name; a structure inside a list renders in messages as Coral's Java object
  // ("com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@c965e310").
  std::string_view name;
};

// Validates and normalizes `input` (the decoded body) against a structure shape.
ApiResult<Json> validateInput(const Json& input, const Shape& shape, WireFormat format);

// Renders "1 validation error detected: <one>" / "N validation errors detected: a; b" — for
// actions that add their own constraint failures after validateInput.
std::string validationMessage(const std::vector<std::string>& failures);
// One failure: "Value 'x' at 'path' failed to satisfy constraint: <constraint>".
std::string constraintFailure(std::string_view renderedValue, std::string_view path,
                              std::string_view constraint);

}  // namespace kbridge::kinesis
