#include "kinesis/codec.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>
#include <vector>

namespace kbridge::kinesis {
namespace {

std::string bytes(std::initializer_list<int> list) {
  std::string s;
  for (int b : list) s += static_cast<char>(b);
  return s;
}

TEST(WireFormat, MapsContentTypes) {
  EXPECT_EQ(wireFormatFor("application/x-amz-json-1.1"), WireFormat::kJson);
  EXPECT_EQ(wireFormatFor("application/x-amz-json-1.0"), std::nullopt);  // Kinesis: 404
  EXPECT_EQ(wireFormatFor("Application/X-Amz-Json-1.1; charset=utf-8"), WireFormat::kJson);
  EXPECT_EQ(wireFormatFor(" application/x-amz-cbor-1.1 "), WireFormat::kCbor);
  EXPECT_EQ(wireFormatFor("application/x-amz-cbor-1.1;foo=bar"), WireFormat::kCbor);
  EXPECT_EQ(wireFormatFor("application/json"), std::nullopt);
  EXPECT_EQ(wireFormatFor(""), std::nullopt);
  EXPECT_EQ(wireFormatFor("application/x-amz-json-1.1x"), std::nullopt);
  EXPECT_EQ(contentTypeOf(WireFormat::kJson), "application/x-amz-json-1.1");
  EXPECT_EQ(contentTypeOf(WireFormat::kCbor), "application/x-amz-cbor-1.1");
}

TEST(DecodeBody, JsonObject) {
  auto r = decodeBody(R"({"StreamName":"s","ShardCount":2})", WireFormat::kJson);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["StreamName"], "s");
  EXPECT_EQ((*r)["ShardCount"], 2);
}

TEST(DecodeBody, UnreadableBodiesAreBareSerializationExceptions) {
  for (std::string body : {std::string(), std::string("{"), std::string("nope"), std::string("[]"),
                           std::string("\"s\""), std::string("1"), std::string("null"),
                           std::string("{} {}"), std::string("{\"a\":\"\xff\"}")}) {
    auto r = decodeBody(body, WireFormat::kJson);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().type, ErrorType::kSerialization);
    EXPECT_EQ(r.error().message, "");
  }
  for (std::string body : {std::string(), bytes({0x80}), bytes({0xa1, 0x61}), bytes({0xff}),
                           bytes({0xa0, 0x00}), bytes({0x1c})}) {
    auto r = decodeBody(body, WireFormat::kCbor);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().type, ErrorType::kSerialization);
  }
}

TEST(DecodeBody, CborByteStringsBecomeBinaryAndTagsAreDropped) {
  // {"Data": h'010203', "Timestamp": 1(1700000000123), "PartitionKey": "k"}
  std::string body = bytes({0xa3, 0x64, 'D', 'a', 't', 'a', 0x43, 1, 2, 3});
  body += bytes({0x69, 'T',  'i',  'm',  'e',  's',  't',  'a',  'm',  'p',
                 0xc1, 0x1b, 0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x7b});
  body += bytes({0x6c, 'P', 'a', 'r', 't', 'i', 't', 'i', 'o', 'n', 'K', 'e', 'y', 0x61, 'k'});
  auto r = decodeBody(body, WireFormat::kCbor);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE((*r)["Data"].is_binary());
  EXPECT_EQ(static_cast<const std::vector<std::uint8_t>&>((*r)["Data"].get_binary()),
            (std::vector<std::uint8_t>{1, 2, 3}));
  EXPECT_EQ((*r)["Timestamp"].get<std::int64_t>(), 1700000000123);
  EXPECT_EQ((*r)["PartitionKey"], "k");
}

TEST(DecodeBody, CborIndefiniteLengthItems) {
  // {_ "a": [_ 1, 2], "b": (_ h'01', h'02')}
  const std::string body = bytes({0xbf, 0x61, 'a', 0x9f, 0x01, 0x02, 0xff, 0x61, 'b', 0x5f, 0x41,
                                  0x01, 0x41, 0x02, 0xff, 0xff});
  auto r = decodeBody(body, WireFormat::kCbor);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["a"], Json::array({1, 2}));
  EXPECT_EQ(static_cast<const std::vector<std::uint8_t>&>((*r)["b"].get_binary()),
            (std::vector<std::uint8_t>{1, 2}));
}

TEST(DecodeBody, CborRoundTrip) {
  Json tree = {
      {"Records", Json::array({{{"Data", blobValue(std::string("\x00\xff", 2), WireFormat::kCbor)},
                                {"ApproximateArrivalTimestamp",
                                 timestampValue(1700000000123, WireFormat::kCbor)}}})},
      {"FailedRecordCount", 0},
      {"Text", "é😀"}};
  const std::string encoded = encodeBody(tree, WireFormat::kCbor);
  auto r = decodeBody(encoded, WireFormat::kCbor);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, tree);
  EXPECT_EQ(static_cast<const std::vector<std::uint8_t>&>((*r)["Records"][0]["Data"].get_binary()),
            (std::vector<std::uint8_t>{0x00, 0xff}));
  EXPECT_EQ((*r)["Records"][0]["ApproximateArrivalTimestamp"].get<std::int64_t>(), 1700000000123);
}

TEST(DecodeBody, DeepNestingNeverCrashes) {
  const std::size_t depth = 200000;
  EXPECT_FALSE(decodeBody(std::string(depth, '['), WireFormat::kJson).ok());
  EXPECT_FALSE(
      decodeBody(std::string(depth, '[') + std::string(depth, ']'), WireFormat::kJson).ok());
  std::string nested;
  for (std::size_t i = 0; i < depth; ++i) nested += "{\"a\":";
  nested += "1" + std::string(depth, '}');
  // Well-formed, but far deeper than any Kinesis shape: refused like deep CBOR.
  EXPECT_FALSE(decodeBody(nested, WireFormat::kJson).ok());

  std::string cbor = bytes({0xa1, 0x61, 'a'}) + std::string(depth, '\x81') + '\x01';
  EXPECT_FALSE(decodeBody(cbor, WireFormat::kCbor).ok());
  EXPECT_FALSE(
      decodeBody(bytes({0xa1, 0x61, 'a'}) + std::string(depth, '\x9f'), WireFormat::kCbor).ok());
  std::string tags = bytes({0xa1, 0x61, 'a'});
  for (std::size_t i = 0; i < depth; ++i) tags += '\xc1';
  tags += '\x01';
  auto untagged = decodeBody(tags, WireFormat::kCbor);  // tags are stripped, not nested
  ASSERT_TRUE(untagged.ok());
  EXPECT_EQ((*untagged)["a"], 1);
  // Moderate nesting is fine.
  std::string shallow = bytes({0xa1, 0x61, 'a'}) + std::string(20, '\x81') + '\x01';
  EXPECT_TRUE(decodeBody(shallow, WireFormat::kCbor).ok());
}

// Regression (test_malformed_requests): a well-formed but deep value in a member no shape declares
// passed as valid input, so the request went on to run.
TEST(DecodeBody, JsonNestingLimitCountsOnlyBrackets) {
  auto nestedIn = [](std::size_t depth, std::string_view open, std::string_view close) {
    std::string s = "{\"StreamName\":\"s\",\"Bogus\":";
    for (std::size_t i = 0; i < depth; ++i) s += open;
    s += "1";
    for (std::size_t i = 0; i < depth; ++i) s += close;
    return s + "}";
  };
  EXPECT_TRUE(decodeBody(nestedIn(63, "[", "]"), WireFormat::kJson).ok());  // 64 levels in all
  auto deep = decodeBody(nestedIn(64, "[", "]"), WireFormat::kJson);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().type, ErrorType::kSerialization);
  EXPECT_EQ(deep.error().message, "");
  EXPECT_FALSE(decodeBody(nestedIn(64, "{\"a\":", "}"), WireFormat::kJson).ok());
  // Brackets inside strings, escaped quotes included, are text.
  const std::string brackets =
      "{\"a\":\"" + std::string(100, '[') + "\\\"" + std::string(100, '{') + "\"}";
  auto text = decodeBody(brackets, WireFormat::kJson);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ((*text)["a"].get<std::string>().size(), 201u);
}

// Regression (test_malformed_requests): nlohmann does not check the UTF-8 of CBOR text strings, so
// invalid text reached validation, error messages and Kafka record keys.
TEST(DecodeBody, CborTextMustBeValidUtf8) {
  const std::string key = bytes({0xa1, 0x61, 'k'});
  for (std::string text :
       {bytes({0xff}), bytes({0xc3, 0x28}), bytes({0xc0, 0xaf}), bytes({0xe0, 0x80, 0xaf}),
        bytes({0xed, 0xa0, 0x80}), bytes({0xf4, 0x90, 0x80, 0x80}), bytes({0xe2, 0x82}),
        bytes({0x80}), bytes({0xf8, 0x88, 0x80, 0x80, 0x80})}) {
    const std::string item = static_cast<char>(0x60 + text.size()) + text;
    auto asValue = decodeBody(key + item, WireFormat::kCbor);
    ASSERT_FALSE(asValue.ok());
    EXPECT_EQ(asValue.error().type, ErrorType::kSerialization);
    EXPECT_FALSE(decodeBody(bytes({0xa1}) + item + bytes({0x01}), WireFormat::kCbor).ok());
    // Each chunk of an indefinite text string is checked on its own.
    EXPECT_FALSE(
        decodeBody(key + bytes({0x7f, 0x61, 'a'}) + item + bytes({0xff}), WireFormat::kCbor).ok());
  }
  // Valid multi-byte text, and invalid bytes in a byte string, are fine.
  auto ok = decodeBody(key + bytes({0x6a, 'c', 'a', 'f', 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80, 'x'}),
                       WireFormat::kCbor);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["k"], "caf\u00e9\U0001F600x");
  EXPECT_TRUE(decodeBody(key + bytes({0x41, 0xff}), WireFormat::kCbor).ok());
}

// Regression (test_malformed_requests): nlohmann accepted an indefinite-length text string as a
// chunk of another, which RFC 8949 forbids.
TEST(DecodeBody, CborIndefiniteStringChunksMustBeDefiniteOfTheSameType) {
  const std::string key = bytes({0xa1, 0x61, 'k'});
  for (std::string value : {bytes({0x7f, 0x7f, 0xff, 0xff}), bytes({0x5f, 0x5f, 0xff, 0xff}),
                            bytes({0x7f, 0x41, 'a', 0xff}), bytes({0x5f, 0x61, 'a', 0xff}),
                            bytes({0x7f, 0x01, 0xff}), bytes({0x5f, 0xa0, 0xff})}) {
    auto r = decodeBody(key + value, WireFormat::kCbor);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().type, ErrorType::kSerialization);
  }
  auto text =
      decodeBody(key + bytes({0x7f, 0x61, 'a', 0x60, 0x62, 'b', 'c', 0xff}), WireFormat::kCbor);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ((*text)["k"], "abc");
  auto blob = decodeBody(key + bytes({0x5f, 0x41, 1, 0x42, 2, 3, 0xff}), WireFormat::kCbor);
  ASSERT_TRUE(blob.ok());
  const std::vector<std::uint8_t> blobBytes = (*blob)["k"].get_binary();
  EXPECT_EQ(blobBytes, std::vector<std::uint8_t>({1, 2, 3}));
}

// Regression (test_malformed_requests): nlohmann computes a negative integer item as -1 - n in
// int64_t, so -2^64 read as 0 and -2^63 - 1 as INT64_MAX.
TEST(DecodeBody, CborNegativeIntegersBeyondInt64AreNotWrapped) {
  const std::string key = bytes({0xa1, 0x61, 'n'});
  auto minus2to64 = decodeBody(key + bytes({0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
                               WireFormat::kCbor);
  ASSERT_TRUE(minus2to64.ok());
  EXPECT_DOUBLE_EQ((*minus2to64)["n"].get<double>(), -18446744073709551616.0);
  auto belowMin = decodeBody(key + bytes({0x3b, 0x80, 0, 0, 0, 0, 0, 0, 0}), WireFormat::kCbor);
  ASSERT_TRUE(belowMin.ok());
  EXPECT_LT((*belowMin)["n"].get<double>(), -9.2e18);
  auto min = decodeBody(key + bytes({0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
                        WireFormat::kCbor);
  ASSERT_TRUE(min.ok());
  EXPECT_TRUE((*min)["n"].is_number_integer());
  EXPECT_EQ((*min)["n"].get<std::int64_t>(), std::numeric_limits<std::int64_t>::min());
  // Inside a tagged, indefinite container too.
  auto nested = decodeBody(
      key + bytes({0x9f, 0xc1, 0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x20, 0xff}),
      WireFormat::kCbor);
  ASSERT_TRUE(nested.ok());
  EXPECT_DOUBLE_EQ((*nested)["n"][0].get<double>(), -18446744073709551616.0);
  EXPECT_EQ((*nested)["n"][1], -1);
}

TEST(DecodeBody, HugeDeclaredLengthsFailCleanly) {
  EXPECT_FALSE(
      decodeBody(bytes({0xa1, 0x61, 'a', 0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
                 WireFormat::kCbor)
          .ok());
  EXPECT_FALSE(
      decodeBody(bytes({0xa1, 0x61, 'a', 0x9b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
                 WireFormat::kCbor)
          .ok());
  EXPECT_FALSE(
      decodeBody(bytes({0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), WireFormat::kCbor)
          .ok());
}

TEST(DecodeBody, RandomGarbageNeverCrashes) {
  std::mt19937 rng(12345);
  for (int i = 0; i < 20000; ++i) {
    std::string body(rng() % 64, '\0');
    for (char& c : body) c = static_cast<char>(rng());
    if (i % 2) body[0] = static_cast<char>(0xa0 | (rng() % 4));  // mostly maps
    (void)decodeBody(body, WireFormat::kCbor);
    (void)decodeBody(body, WireFormat::kJson);
  }
}

TEST(EncodeBody, InvalidUtf8IsReplacedNotThrown) {
  Json tree = {{"message", std::string("bad \xff\xfe byte")}};
  const std::string out = encodeBody(tree, WireFormat::kJson);
  EXPECT_EQ(out, "{\"message\":\"bad \xEF\xBF\xBD\xEF\xBF\xBD byte\"}");
  EXPECT_FALSE(encodeBody(tree, WireFormat::kCbor).empty());
}

TEST(Timestamp, JsonSecondsWithMillisecondFraction) {
  EXPECT_EQ(
      encodeBody(Json{{"t", timestampValue(1700000000123, WireFormat::kJson)}}, WireFormat::kJson),
      R"({"t":1700000000.123})");
  EXPECT_EQ(
      encodeBody(Json{{"t", timestampValue(1700000000000, WireFormat::kJson)}}, WireFormat::kJson),
      R"({"t":1700000000})");
  EXPECT_EQ(timestampValue(1700000000100, WireFormat::kJson).dump(), "1700000000.1");
  EXPECT_EQ(timestampValue(1700000000001, WireFormat::kJson).dump(), "1700000000.001");
  EXPECT_EQ(timestampValue(999, WireFormat::kJson).dump(), "0.999");
  EXPECT_EQ(timestampValue(0, WireFormat::kJson).dump(), "0");
  for (std::int64_t ms = 1700000000000; ms < 1700000001000; ++ms) {
    const std::string s = timestampValue(ms, WireFormat::kJson).dump();
    ASSERT_LE(s.size(), 14u) << s;
  }
}

TEST(Timestamp, CborMillis) {
  const Json t = timestampValue(1700000000123, WireFormat::kCbor);
  ASSERT_TRUE(t.is_number_integer());
  EXPECT_EQ(t.get<std::int64_t>(), 1700000000123);
}

TEST(Blob, PerFormat) {
  EXPECT_EQ(blobValue("hello", WireFormat::kJson), "aGVsbG8=");
  const Json b = blobValue("hello", WireFormat::kCbor);
  ASSERT_TRUE(b.is_binary());
  EXPECT_EQ(b.get_binary().size(), 5u);
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(base64Encode(plain), encoded);
    EXPECT_EQ(base64Decode(encoded), plain);
  }
}

TEST(Base64, RoundTripsAllByteValues) {
  std::mt19937 rng(7);
  for (std::size_t n = 0; n < 200; ++n) {
    std::string data(n, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    auto back = base64Decode(base64Encode(data));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, data);
  }
}

TEST(Base64, StrictRejectionsWithCoralReasons) {
  const std::pair<std::string, std::string> cases[] = {
      {"23456", "Base64 encoded length is expected a multiple of 4 bytes but found: 5"},
      {"a", "Base64 encoded length is expected a multiple of 4 bytes but found: 1"},
      {"éé", "Base64 encoded length is expected a multiple of 4 bytes but found: 2"},
      {"=+/=", "Invalid Base64 character: '='"},
      {"ab=c", "Invalid Base64 character: '='"},
      {"ab c", "Invalid Base64 character: ' '"},
      {"abc-", "Invalid Base64 character: '-'"},
      {"aéaa", "Invalid Base64 character: 'é'"},
      {"+/+=", "Invalid last non-pad Base64 character dectected"},
      {"QR==", "Invalid last non-pad Base64 character dectected"},
      {"Zm9=", "Invalid last non-pad Base64 character dectected"},
      {"a===", "Invalid last non-pad Base64 character dectected"},
      {"====", "Invalid last non-pad Base64 character dectected"},
  };
  for (const auto& [text, reason] : cases) {
    std::string why;
    EXPECT_FALSE(base64Decode(text, &why).has_value()) << text;
    EXPECT_EQ(why, reason) << text;
  }
  EXPECT_EQ(base64Decode("QQ=="), "A");
  EXPECT_EQ(base64Decode("Zm8="), "fo");
}

TEST(Utf16Length, CountsJavaCodeUnits) {
  EXPECT_EQ(utf16Length(""), 0u);
  EXPECT_EQ(utf16Length("abc"), 3u);
  EXPECT_EQ(utf16Length("é"), 1u);  // 2 bytes
  EXPECT_EQ(utf16Length("€"), 1u);  // 3 bytes
  EXPECT_EQ(utf16Length("😀"), 2u);  // 4 bytes: a surrogate pair
  EXPECT_EQ(utf16Length("a😀é"), 4u);
}

}  // namespace
}  // namespace kbridge::kinesis
