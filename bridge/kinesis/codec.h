#pragma once
// Body codecs for the two wire formats Kinesis clients use: JSON 1.1 (AWS CLI, boto3, JS SDK) and
// CBOR 1.1 (AWS SDK for Java v2, KPL). Requests are decoded into one neutral tree (nlohmann::json);
// responses are built as that tree with blobValue()/timestampValue() for the two types whose
// encoding differs between the formats, and encoded back in the request's format.
//
// Stateless and thread-safe.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "kinesis/errors.h"

namespace kbridge::kinesis {

using Json = nlohmann::json;

enum class WireFormat { kJson, kCbor };

inline constexpr std::string_view kJsonContentType = "application/x-amz-json-1.1";
inline constexpr std::string_view kCborContentType = "application/x-amz-cbor-1.1";

// Maps a Content-Type header (parameters after ';' ignored, case-insensitive) to a wire format;
// nullopt for anything else (Kinesis rejects application/x-amz-json-1.0 like any other type).
std::optional<WireFormat> wireFormatFor(std::string_view contentType);
std::string_view contentTypeOf(WireFormat format);

// Parses a request body. An empty body, a syntax error, or a top level that is not an object is a
// SerializationException. In CBOR, byte strings become Json binary values and tags are dropped
// (keeping the tagged value), so that timestamps (tag 1) arrive as plain numbers.
ApiResult<Json> decodeBody(std::string_view body, WireFormat format);

// Serializes a response or error tree. Never throws: invalid UTF-8 is replaced.
std::string encodeBody(const Json& tree, WireFormat format);

// A blob field: base64 text in JSON, a byte string in CBOR.
Json blobValue(std::string_view bytes, WireFormat format);
// A timestamp field: epoch seconds with millisecond fraction (a JSON number) in JSON; epoch
// milliseconds as an integer in CBOR (what the Java SDK's CBOR unmarshaller expects).
Json timestampValue(std::int64_t epochMillis, WireFormat format);

// Java's String.length() of UTF-8 text: UTF-16 code units (characters beyond the BMP count two).
std::size_t utf16Length(std::string_view utf8);

// Base64 (standard alphabet, padded).
std::string base64Encode(std::string_view bytes);
// The same, appended to `out` (hot paths that write a response body directly).
void base64EncodeTo(std::string& out, std::string_view bytes);
// Strict decoding as AWS does it; nullopt with a reason on bad input.
std::optional<std::string> base64Decode(std::string_view text, std::string* whyNot = nullptr);
// The same decoding into `out` (replacing its content), without the reason: false exactly when
// base64Decode gives nullopt. For hot paths that decode straight into the buffer they keep.
bool base64DecodeTo(std::string_view text, std::string& out);

}  // namespace kbridge::kinesis
