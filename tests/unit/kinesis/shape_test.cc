// Type and validation errors with Coral's wording; the cases follow kinesalite's test suite
// (test/createStream.js, listShards.js, addTagsToStream.js, describeStream.js, putRecords.js),
// adjusted where the current botocore model differs from kinesalite's (fewer required members,
// larger limits).

#include "kinesis/shape.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kinesis/model.h"

namespace kbridge::kinesis {
namespace {

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

// Builds kinesalite's assertType() body: "Records.0.Data" = {"Records": [{"Data": value}]}.
Json nested(std::string_view path, const Json& value) {
  std::vector<std::string> pieces;
  std::size_t start = 0;
  while (true) {
    const auto dot = path.find('.', start);
    pieces.emplace_back(path.substr(start, dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  Json node = value;
  for (std::size_t i = pieces.size(); i-- > 0;) {
    if (pieces[i] == "0") {
      node = Json::array({node});
    } else {
      Json parent = Json::object();
      parent[pieces[i]] = node;
      node = parent;
    }
  }
  return node;
}

// kinesalite's per-type table of wrong values and Coral's answer.
std::vector<std::pair<Json, std::string>> typeCases(std::string_view type) {
  const std::string big = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber";
  const Json list = Json::array();
  const Json object = Json::object();
  if (type == "Boolean")
    return {{"23", "'23' can not be converted to an Boolean"},
            {"hello", "'HELLO' can not be converted to an Boolean"},
            {23, big + " can not be converted to an Boolean"},
            {-2147483648LL, big + " can not be converted to an Boolean"},
            {2147483648LL, big + " can not be converted to an Boolean"},
            {list, "Start of list found where not expected"},
            {object, "Start of structure or map found where not expected."}};
  if (type == "String")
    return {{true, "class java.lang.Boolean can not be converted to an String"},
            {23, big + " can not be converted to an String"},
            {-2147483648LL, big + " can not be converted to an String"},
            {2147483648LL, big + " can not be converted to an String"},
            {34.56, big + " can not be converted to an String"},
            {list, "Start of list found where not expected"},
            {object, "Start of structure or map found where not expected."}};
  if (type == "Integer")
    return {{"23", "class java.lang.String can not be converted to an Integer"},
            {true, "class java.lang.Boolean can not be converted to an Integer"},
            {list, "Start of list found where not expected"},
            {object, "Start of structure or map found where not expected."}};
  if (type == "Blob")
    return {{true, "class java.lang.Boolean can not be converted to a Blob"},
            {23, big + " can not be converted to a Blob"},
            {-2147483648LL, big + " can not be converted to a Blob"},
            {2147483648LL, big + " can not be converted to a Blob"},
            {34.56, big + " can not be converted to a Blob"},
            {list, "Start of list found where not expected"},
            {object, "Start of structure or map found where not expected."},
            {"23456",
             "'23456' can not be converted to a Blob: Base64 encoded length is expected a multiple "
             "of 4 bytes but found: 5"},
            {"=+/=", "'=+/=' can not be converted to a Blob: Invalid Base64 character: '='"},
            {"+/+=",
             "'+/+=' can not be converted to a Blob: Invalid last non-pad Base64 character "
             "dectected"}};
  if (type == "Timestamp")
    return {{"23", "class java.lang.String can not be converted to milliseconds since epoch"},
            {true, "class java.lang.Boolean can not be converted to milliseconds since epoch"},
            {list, "Start of list found where not expected"},
            {object, "Start of structure or map found where not expected."}};
  if (type == "List")
    return {{"23", "Expected list or null"},
            {true, "Expected list or null"},
            {23, "Expected list or null"},
            {-2147483648LL, "Expected list or null"},
            {2147483648LL, "Expected list or null"},
            {34.56, "Expected list or null"},
            {object, "Start of structure or map found where not expected."}};
  if (type == "Map")
    return {{"23", "Expected map or null"},
            {true, "Expected map or null"},
            {23, "Expected map or null"},
            {-2147483648LL, "Expected map or null"},
            {2147483648LL, "Expected map or null"},
            {34.56, "Expected map or null"},
            {list, "Start of list found where not expected"}};
  if (type == "Structure")
    return {{"23", "Expected null"},
            {true, "Expected null"},
            {23, "Expected null"},
            {-2147483648LL, "Expected null"},
            {2147483648LL, "Expected null"},
            {34.56, "Expected null"},
            {list, "Start of list found where not expected"}};
  ADD_FAILURE() << "unknown type " << type;
  return {};
}

struct TypeCase {
  const char* operation;
  const char* property;
  const char* type;
};

class TypeErrors : public testing::TestWithParam<TypeCase> {};

TEST_P(TypeErrors, SerializationExceptionWithCoralWording) {
  const TypeCase& c = GetParam();
  const Shape* shape = inputShapeFor(c.operation);
  ASSERT_NE(shape, nullptr);
  for (const auto& [value, message] : typeCases(c.type)) {
    const Json body = nested(c.property, value);
    auto r = validateInput(body, *shape, WireFormat::kJson);
    ASSERT_FALSE(r.ok()) << body.dump();
    EXPECT_EQ(r.error().type, ErrorType::kSerialization) << body.dump();
    EXPECT_EQ(r.error().message, message) << body.dump();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Kinesalite, TypeErrors,
    testing::Values(TypeCase{"CreateStream", "StreamName", "String"},
                    TypeCase{"CreateStream", "ShardCount", "Integer"},
                    TypeCase{"CreateStream", "StreamModeDetails", "Structure"},
                    TypeCase{"CreateStream", "StreamModeDetails.StreamMode", "String"},
                    TypeCase{"ListShards", "StreamName", "String"},
                    TypeCase{"ListShards", "MaxResults", "Integer"},
                    TypeCase{"ListShards", "ExclusiveStartShardId", "String"},
                    TypeCase{"ListShards", "NextToken", "String"},
                    TypeCase{"ListShards", "StreamCreationTimestamp", "Timestamp"},
                    TypeCase{"ListShards", "ShardFilter", "Structure"},
                    TypeCase{"AddTagsToStream", "Tags", "Map"},
                    TypeCase{"AddTagsToStream", "Tags.a", "String"},
                    TypeCase{"AddTagsToStream", "StreamName", "String"},
                    TypeCase{"DescribeStream", "StreamName", "String"},
                    TypeCase{"DescribeStream", "Limit", "Integer"},
                    TypeCase{"DescribeStream", "ExclusiveStartShardId", "String"},
                    TypeCase{"DeleteStream", "EnforceConsumerDeletion", "Boolean"},
                    TypeCase{"GetShardIterator", "Timestamp", "Timestamp"},
                    TypeCase{"PutRecord", "Data", "Blob"},
                    TypeCase{"PutRecords", "Records", "List"},
                    TypeCase{"PutRecords", "Records.0", "Structure"},
                    TypeCase{"PutRecords", "Records.0.Data", "Blob"},
                    TypeCase{"PutRecords", "Records.0.ExplicitHashKey", "String"},
                    TypeCase{"PutRecords", "Records.0.PartitionKey", "String"},
                    TypeCase{"PutRecords", "StreamName", "String"},
                    TypeCase{"RemoveTagsFromStream", "TagKeys", "List"},
                    TypeCase{"RemoveTagsFromStream", "TagKeys.0", "String"}));

TEST(TypeCheck, FirstErrorInMemberOrderWins) {
  // CreateStream checks ShardCount before StreamName (Coral's order, as kinesalite records it).
  auto r = validateInput({{"StreamName", true}, {"ShardCount", "x"}}, kCreateStreamInput,
                         WireFormat::kJson);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "class java.lang.String can not be converted to an Integer");
}

TEST(TypeCheck, TypeErrorsComeBeforeConstraintErrors) {
  auto r = validateInput({{"StreamName", ""}, {"Records", Json::array({{{"Data", 1}}})}},
                         kPutRecordsInput, WireFormat::kJson);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, ErrorType::kSerialization);
}

TEST(TypeCheck, LongFromBoolAndString) {
  const Shape longShape = [] {
    Shape s;
    s.type = ShapeType::kLong;
    return s;
  }();
  Shape input;
  input.type = ShapeType::kStructure;
  input.fields = {{"Value", &longShape, false}};
  auto r = validateInput({{"Value", true}}, input, WireFormat::kJson);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "class java.lang.Boolean can not be converted to an Long");
  r = validateInput({{"Value", "1"}}, input, WireFormat::kJson);
  EXPECT_EQ(r.error().message, "class java.lang.String can not be converted to an Long");
  r = validateInput({{"Value", 1e300}}, input, WireFormat::kJson);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["Value"].get<std::int64_t>(), std::numeric_limits<std::int64_t>::max());
  r = validateInput({{"Value", -1e300}}, input, WireFormat::kJson);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["Value"].get<std::int64_t>(), std::numeric_limits<std::int64_t>::min());
}

TEST(TypeCheck, BooleanSpellingsCoralAccepts) {
  for (const auto& [text, value] : std::vector<std::pair<std::string, bool>>{{"true", true},
                                                                             {"TRUE", true},
                                                                             {"yes", true},
                                                                             {"1", true},
                                                                             {"false", false},
                                                                             {"No", false},
                                                                             {"0", false}}) {
    auto r = validateInput({{"StreamName", "s"}, {"EnforceConsumerDeletion", text}},
                           kDeleteStreamInput, WireFormat::kJson);
    ASSERT_TRUE(r.ok()) << text;
    EXPECT_EQ((*r)["EnforceConsumerDeletion"], value) << text;
  }
}

// ---------------------------------------------------------------------------------------------

std::string validation(std::initializer_list<std::string> failures) {
  return validationMessage(std::vector<std::string>(failures));
}

struct ValidationCase {
  const char* name;
  const char* operation;
  Json body;
  std::string message;
};

class ValidationErrors : public testing::TestWithParam<ValidationCase> {};

TEST_P(ValidationErrors, ExactMessage) {
  const ValidationCase& c = GetParam();
  auto r = validateInput(c.body, *inputShapeFor(c.operation), WireFormat::kJson);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, ErrorType::kValidation);
  EXPECT_EQ(r.error().message, c.message);
}

const std::string kName129 = repeat("a", 129);
const std::string kStreamPattern =
    "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+";

std::string at(std::string_view value, std::string_view path, std::string_view constraint) {
  return constraintFailure(value, path, constraint);
}

Json manyRecords(std::size_t n) {
  Json records = Json::array();
  for (std::size_t i = 0; i < n; ++i) records.push_back({{"PartitionKey", ""}, {"Data", ""}});
  return records;
}

std::string manyEntries(std::size_t n) {
  std::string s = "[";
  for (std::size_t i = 0; i < n; ++i) {
    if (i) s += ", ";
    s += "com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@c965e310";
  }
  return s + "]";
}

Json tags(std::initializer_list<std::pair<std::string, std::string>> list) {
  Json t = Json::object();
  for (const auto& [k, v] : list) t[k] = v;
  return t;
}

const std::string kHashPattern =
    "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})";

INSTANTIATE_TEST_SUITE_P(
    Kinesalite, ValidationErrors,
    testing::Values(
        ValidationCase{"CreateStreamNoStreamName", "CreateStream", Json::object(),
                       validation({at("null", "streamName", "Member must not be null")})},
        ValidationCase{
            "CreateStreamEmpty",
            "CreateStream",
            {{"StreamName", ""}, {"ShardCount", 0}},
            validation({at("0", "shardCount", "Member must have value greater than or equal to 1"),
                        at("", "streamName", kStreamPattern),
                        at("", "streamName",
                           "Member must have length greater than or equal to 1")})},
        ValidationCase{"CreateStreamLong",
                       "CreateStream",
                       {{"StreamName", kName129}, {"ShardCount", 1}},
                       validation({at(kName129, "streamName",
                                      "Member must have length less than or equal to 128")})},
        ValidationCase{
            "CreateStreamMode",
            "CreateStream",
            {{"StreamName", "s"}, {"StreamModeDetails", Json::object()}},
            validation({at("null", "streamModeDetails.streamMode", "Member must not be null")})},
        ValidationCase{
            "ListShardsEmpty",
            "ListShards",
            {{"StreamName", ""},
             {"NextToken", ""},
             {"MaxResults", 0},
             {"ExclusiveStartShardId", ""}},
            validation({at("0", "maxResults", "Member must have value greater than or equal to 1"),
                        at("", "exclusiveStartShardId", kStreamPattern),
                        at("", "exclusiveStartShardId",
                           "Member must have length greater than or equal to 1"),
                        at("", "streamName", kStreamPattern),
                        at("", "streamName", "Member must have length greater than or equal to 1"),
                        at("", "nextToken",
                           "Member must have length greater than or equal to 1")})},
        ValidationCase{
            "ListShardsLong",
            "ListShards",
            {{"StreamName", kName129}, {"MaxResults", 100000}, {"ExclusiveStartShardId", kName129}},
            validation(
                {at("100000", "maxResults", "Member must have value less than or equal to 10000"),
                 at(kName129, "exclusiveStartShardId",
                    "Member must have length less than or equal to 128"),
                 at(kName129, "streamName", "Member must have length less than or equal to 128")})},
        ValidationCase{
            "ListShardsFilter",
            "ListShards",
            {{"ShardFilter", {{"Type", "NOPE"}}}},
            validation({at("NOPE", "shardFilter.type",
                           "Member must satisfy enum value set: [AFTER_SHARD_ID, AT_TRIM_HORIZON, "
                           "FROM_TRIM_HORIZON, AT_LATEST, AT_TIMESTAMP, FROM_TIMESTAMP]")})},
        ValidationCase{"AddTagsNoTags", "AddTagsToStream", Json::object(),
                       validation({at("null", "tags", "Member must not be null")})},
        ValidationCase{
            "AddTagsEmpty",
            "AddTagsToStream",
            {{"StreamName", ""}, {"Tags", Json::object()}},
            validation({at("{}", "tags", "Member must have length greater than or equal to 1"),
                        at("", "streamName", kStreamPattern),
                        at("", "streamName",
                           "Member must have length greater than or equal to 1")})},
        ValidationCase{"AddTagsLongName",
                       "AddTagsToStream",
                       {{"StreamName", kName129}, {"Tags", tags({{"a;b", "b"}})}},
                       validation({at(kName129, "streamName",
                                      "Member must have length less than or equal to 128")})},
        ValidationCase{
            "AddTagsLongKey",
            "AddTagsToStream",
            {{"StreamName", "s"}, {"Tags", tags({{"a", "1"}, {"b", "2"}, {kName129, "3"}})}},
            validation(
                {at("{a=1, " + kName129 + "=3, b=2}", "tags",
                    "Map keys must satisfy constraint: [Member must have length less than or "
                    "equal to 128, Member must have length greater than or equal to 1]")})},
        ValidationCase{
            "AddTagsLongValue",
            "AddTagsToStream",
            {{"StreamName", "s"},
             {"Tags", tags({{"a", "1"}, {"b", "2"}, {"c", repeat("a", 257)}})}},
            validation(
                {at("{a=1, b=2, c=" + repeat("a", 257) + "}", "tags",
                    "Map value must satisfy constraint: [Member must have length less than "
                    "or equal to 256, Member must have length greater than or equal to 0]")})},
        ValidationCase{
            "DescribeStreamEmpty",
            "DescribeStream",
            {{"StreamName", ""}, {"Limit", 0}, {"ExclusiveStartShardId", ""}},
            validation({at("0", "limit", "Member must have value greater than or equal to 1"),
                        at("", "exclusiveStartShardId", kStreamPattern),
                        at("", "exclusiveStartShardId",
                           "Member must have length greater than or equal to 1"),
                        at("", "streamName", kStreamPattern),
                        at("", "streamName",
                           "Member must have length greater than or equal to 1")})},
        ValidationCase{
            "DescribeStreamLong",
            "DescribeStream",
            {{"StreamName", kName129}, {"Limit", 100000}, {"ExclusiveStartShardId", kName129}},
            validation({at("100000", "limit", "Member must have value less than or equal to 10000"),
                        at(kName129, "exclusiveStartShardId",
                           "Member must have length less than or equal to 128"),
                        at(kName129, "streamName",
                           "Member must have length less than or equal to 128")})},
        ValidationCase{"PutRecordsNoRecords", "PutRecords", Json::object(),
                       validation({at("null", "records", "Member must not be null")})},
        ValidationCase{
            "PutRecordsEmpty",
            "PutRecords",
            {{"StreamName", ""}, {"Records", Json::array()}},
            validation({at("[]", "records", "Member must have length greater than or equal to 1"),
                        at("", "streamName", kStreamPattern),
                        at("", "streamName",
                           "Member must have length greater than or equal to 1")})},
        ValidationCase{
            "PutRecordsEmptyPartitionKey",
            "PutRecords",
            {{"StreamName", ""},
             {"Records",
              Json::array({{{"PartitionKey", ""}, {"Data", ""}, {"ExplicitHashKey", ""}}})}},
            validation({at("", "records.1.member.partitionKey",
                           "Member must have length greater than or equal to 1"),
                        at("", "records.1.member.explicitHashKey", kHashPattern),
                        at("", "streamName", kStreamPattern),
                        at("", "streamName",
                           "Member must have length greater than or equal to 1")})},
        ValidationCase{"PutRecordsLong",
                       "PutRecords",
                       {{"StreamName", kName129},
                        {"Records", Json::array({{{"PartitionKey", repeat("a", 257)},
                                                  {"Data", repeat("AAAA", 1048577 / 3 + 1)},
                                                  {"ExplicitHashKey", ""}}})}},
                       validation({at(repeat("a", 257), "records.1.member.partitionKey",
                                      "Member must have length less than or equal to 256"),
                                   at("", "records.1.member.explicitHashKey", kHashPattern),
                                   at("java.nio.HeapByteBuffer[pos=0 lim=1048578 cap=1048578]",
                                      "records.1.member.data",
                                      "Member must have length less than or equal to 1048576"),
                                   at(kName129, "streamName",
                                      "Member must have length less than or equal to 128")})},
        ValidationCase{
            "PutRecordsTooMany",
            "PutRecords",
            {{"StreamName", ""}, {"Records", manyRecords(501)}},
            [] {
              std::vector<std::string> f{at(manyEntries(501), "records",
                                            "Member must have length less than or equal to 500")};
              for (int i = 1; i <= 9; ++i)
                f.push_back(at("", "records." + std::to_string(i) + ".member.partitionKey",
                               "Member must have length greater than or equal to 1"));
              return validationMessage(f);
            }()},
        ValidationCase{"PutRecordsNullEntry",
                       "PutRecords",
                       {{"StreamName", "s"}, {"Records", Json::array({nullptr})}},
                       validation({at("null", "records.1.member", "Member must not be null")})},
        ValidationCase{
            "RemoveTagsEmptyKey",
            "RemoveTagsFromStream",
            {{"StreamName", "s"}, {"TagKeys", Json::array({"a", ""})}},
            validation({at("[a, ]", "tagKeys",
                           "Member must satisfy constraint: [Member must have length less than or "
                           "equal to 128, Member must have length greater than or equal to 1]")})},
        ValidationCase{
            "EnableMonitoringBadMetric",
            "EnableEnhancedMonitoring",
            {{"StreamName", "s"}, {"ShardLevelMetrics", Json::array({"IncomingBytes", "foo"})}},
            validation({at("[IncomingBytes, foo]", "shardLevelMetrics",
                           "Member must satisfy constraint: [Member must satisfy enum value set: "
                           "[IncomingBytes, IncomingRecords, OutgoingBytes, OutgoingRecords, "
                           "WriteProvisionedThroughputExceeded, ReadProvisionedThroughputExceeded, "
                           "IteratorAgeMilliseconds, ALL]]")})},
        ValidationCase{
            "GetShardIteratorBad",
            "GetShardIterator",
            {{"ShardId", "shardId-0"},
             {"ShardIteratorType", "NOPE"},
             {"StartingSequenceNumber", "01"}},
            validation(
                {at("NOPE", "shardIteratorType",
                    "Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, "
                    "AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]"),
                 at("01", "startingSequenceNumber",
                    "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})")})}),
    [](const testing::TestParamInfo<ValidationCase>& param) {
      return std::string(param.param.name);
    });

TEST(Constraints, AtMostTenFailures) {
  auto r = validateInput({{"StreamName", ""}, {"Records", manyRecords(30)}}, kPutRecordsInput,
                         WireFormat::kJson);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("10 validation errors detected: ", 0), 0u);
  EXPECT_NE(r.error().message.find("records.10.member.partitionKey"), std::string::npos);
  EXPECT_EQ(r.error().message.find("records.11.member"), std::string::npos);
  EXPECT_EQ(r.error().message.find("streamName"), std::string::npos);
}

TEST(Constraints, StringLengthCountsUtf16CodeUnits) {
  auto put = [](const std::string& key) {
    return validateInput({{"StreamName", "s"}, {"PartitionKey", key}, {"Data", ""}},
                         kPutRecordInput, WireFormat::kJson);
  };
  EXPECT_TRUE(put(repeat("😀", 128)).ok());  // 512 bytes, 256 code units
  EXPECT_TRUE(put(repeat("é", 256)).ok());  // 512 bytes, 256 code units
  auto r = put(repeat("😀", 128) + "a");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            validation({at(repeat("😀", 128) + "a", "partitionKey",
                           "Member must have length less than or equal to 256")}));
}

TEST(Constraints, HugeStringAgainstPatternDoesNotOverflowTheStack) {
  const std::string name(1 << 20, 'a');
  auto r = validateInput({{"StreamName", name + "!"}}, kDescribeStreamInput, WireFormat::kJson);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find(kStreamPattern), std::string::npos);
  r = validateInput({{"StreamARN", "arn:aws:kinesis:us-east-1:123456789012:stream/" + name}},
                    kDescribeStreamInput, WireFormat::kJson);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("regular expression"), std::string::npos);
  EXPECT_NE(r.error().message.find("less than or equal to 2048"), std::string::npos);
}

TEST(Constraints, PatternsAreFullMatches) {
  auto split = [](const std::string& key) {
    return validateInput(
        {{"StreamName", "s"}, {"ShardToSplit", "shardId-0"}, {"NewStartingHashKey", key}},
        kSplitShardInput, WireFormat::kJson);
  };
  EXPECT_TRUE(split("0").ok());
  EXPECT_TRUE(split("340282366920938463463374607431768211455").ok());
  EXPECT_FALSE(split("01").ok());
  EXPECT_FALSE(split("1a").ok());
  EXPECT_FALSE(split(repeat("1", 40)).ok());
  EXPECT_TRUE(validateInput({{"StreamARN", "arn:aws:kinesis:us-east-1:123456789012:stream/s"}},
                            kDescribeStreamSummaryInput, WireFormat::kJson)
                  .ok());
}

// ---------------------------------------------------------------------------------------------
// Normalization.

TEST(Normalize, DropsUnknownAndNullMembers) {
  auto r = validateInput({{"StreamName", "s"}, {"ShardCount", nullptr}, {"Bogus", {1, 2}}},
                         kCreateStreamInput, WireFormat::kJson);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (Json{{"StreamName", "s"}}));
}

TEST(Normalize, IntegersFloorAndClamp) {
  auto shardCount = [](const Json& v) {
    auto r = validateInput({{"StreamName", "s"}, {"ShardCount", v}}, kCreateStreamInput,
                           WireFormat::kJson);
    return r.ok() ? (*r)["ShardCount"].get<std::int64_t>() : -999;
  };
  EXPECT_EQ(shardCount(1.9), 1);
  EXPECT_EQ(shardCount(100000000000LL), 2147483647);
  EXPECT_EQ(shardCount(1e300), 2147483647);
  EXPECT_EQ(shardCount(std::numeric_limits<std::uint64_t>::max()), 2147483647);
  auto parsed = decodeBody(R"({"StreamName":"s","ShardCount":1e999999})", WireFormat::kJson);
  if (parsed.ok()) (void)validateInput(*parsed, kCreateStreamInput, WireFormat::kJson);
  parsed = decodeBody(R"({"StreamName":"s","ShardCount":123456789012345678901234567890})",
                      WireFormat::kJson);
  ASSERT_TRUE(parsed.ok());
  auto r = validateInput(*parsed, kCreateStreamInput, WireFormat::kJson);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["ShardCount"], 2147483647);
  r = validateInput({{"StreamName", "s"}, {"ShardCount", -0.5}}, kCreateStreamInput,
                    WireFormat::kJson);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(
      r.error().message,
      validation({at("-1", "shardCount", "Member must have value greater than or equal to 1")}));
}

TEST(Normalize, JsonBlobsAreDecoded) {
  auto r = validateInput({{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "aGVsbG8="}},
                         kPutRecordInput, WireFormat::kJson);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE((*r)["Data"].is_binary());
  const auto& b = (*r)["Data"].get_binary();
  EXPECT_EQ(std::string(b.begin(), b.end()), "hello");
}

TEST(Normalize, CborBlobsAsByteStringsOrBase64Text) {
  Json body = {
      {"StreamName", "s"},
      {"Records", Json::array({{{"PartitionKey", "k"}, {"Data", Json::binary({0x00, 0x01, 0xff})}},
                               {{"PartitionKey", "k"}, {"Data", "AAH/"}}})}};
  auto decoded = decodeBody(encodeBody(body, WireFormat::kCbor), WireFormat::kCbor);
  ASSERT_TRUE(decoded.ok());
  auto r = validateInput(*decoded, kPutRecordsInput, WireFormat::kCbor);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(static_cast<const std::vector<std::uint8_t>&>((*r)["Records"][0]["Data"].get_binary()),
            (std::vector<std::uint8_t>{0, 1, 0xff}));
  EXPECT_EQ(static_cast<const std::vector<std::uint8_t>&>((*r)["Records"][1]["Data"].get_binary()),
            (std::vector<std::uint8_t>{0, 1, 0xff}));
}

std::int64_t timestampOf(const Json& value, WireFormat format) {
  auto r = validateInput({{"StreamName", "s"}, {"StreamCreationTimestamp", value}},
                         kListShardsInput, format);
  EXPECT_TRUE(r.ok()) << value.dump();
  return r.ok() ? (*r)["StreamCreationTimestamp"].get<std::int64_t>() : 0;
}

TEST(Normalize, TimestampsBecomeEpochMillis) {
  EXPECT_EQ(timestampOf(1700000000, WireFormat::kJson), 1700000000000);
  EXPECT_EQ(timestampOf(1700000000.123, WireFormat::kJson), 1700000000123);
  EXPECT_EQ(timestampOf(1700000000.1239, WireFormat::kJson), 1700000000123);
  EXPECT_EQ(timestampOf(1700000000.5, WireFormat::kJson), 1700000000500);
  EXPECT_EQ(timestampOf(0.001, WireFormat::kJson), 1);
  EXPECT_EQ(timestampOf(-1.5, WireFormat::kJson), -1500);
  EXPECT_EQ(timestampOf(1e300, WireFormat::kJson), std::numeric_limits<std::int64_t>::max());
  // Every millisecond of a second survives the double round trip.
  for (std::int64_t ms = 1700000000000; ms < 1700000001000; ++ms) {
    auto parsed = decodeBody(
        "{\"StreamCreationTimestamp\":" + timestampValue(ms, WireFormat::kJson).dump() + "}",
        WireFormat::kJson);
    ASSERT_TRUE(parsed.ok());
    ASSERT_EQ(timestampOf((*parsed)["StreamCreationTimestamp"], WireFormat::kJson), ms);
  }
  // CBOR: the Java SDK sends tag 1 + epoch milliseconds; floats are seconds.
  EXPECT_EQ(timestampOf(1700000000123, WireFormat::kCbor), 1700000000123);
  EXPECT_EQ(timestampOf(1700000000.5, WireFormat::kCbor), 1700000000500);
  const std::string tagged = encodeBody({{"StreamName", "s"}}, WireFormat::kCbor);
  std::string body = tagged;
  body[0] = static_cast<char>(0xa2);
  body += std::string("\x77StreamCreationTimestamp", 24);
  body += std::string("\xc1\x1b\x00\x00\x01\x8b\xcf\xe5\x68\x7b", 10);
  auto decoded = decodeBody(body, WireFormat::kCbor);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(timestampOf((*decoded)["StreamCreationTimestamp"], WireFormat::kCbor), 1700000000123);
}

TEST(Messages, Rendering) {
  EXPECT_EQ(validationMessage({}), "");
  EXPECT_EQ(validationMessage({"a"}), "1 validation error detected: a");
  EXPECT_EQ(validationMessage({"a", "b"}), "2 validation errors detected: a; b");
  EXPECT_EQ(constraintFailure("null", "x.y", "Member must not be null"),
            "Value null at 'x.y' failed to satisfy constraint: Member must not be null");
  EXPECT_EQ(constraintFailure("v", "x", "c"), "Value 'v' at 'x' failed to satisfy constraint: c");
}

// ---------------------------------------------------------------------------------------------
// Garbage never crashes, whatever the operation.

Json randomTree(std::mt19937& rng, int depth) {
  switch (rng() % (depth > 4 ? 6 : 8)) {
    case 0:
      return nullptr;
    case 1:
      return rng() % 2 == 0;
    case 2:
      return static_cast<std::int64_t>(rng()) - (1LL << 31);
    case 3:
      return std::ldexp(static_cast<double>(rng()), static_cast<int>(rng() % 2000) - 1000);
    case 4:
      return std::string(rng() % 300, static_cast<char>('0' + rng() % 75));
    case 5:
      return Json::binary(std::vector<std::uint8_t>(rng() % 5, 7));
    case 6: {
      Json a = Json::array();
      for (unsigned i = rng() % 4; i > 0; --i) a.push_back(randomTree(rng, depth + 1));
      return a;
    }
    default: {
      static const char* names[] = {"StreamName",
                                    "Records",
                                    "Data",
                                    "PartitionKey",
                                    "Tags",
                                    "ShardCount",
                                    "Limit",
                                    "ShardFilter",
                                    "Type",
                                    "TagKeys",
                                    "Timestamp",
                                    "StartingPosition",
                                    "ShardLevelMetrics",
                                    "a"};
      Json o = Json::object();
      for (unsigned i = rng() % 5; i > 0; --i) o[names[rng() % 14]] = randomTree(rng, depth + 1);
      return o;
    }
  }
}

TEST(Garbage, RandomTreesAgainstEveryOperation) {
  std::mt19937 rng(99);
  for (int i = 0; i < 3000; ++i) {
    Json body = Json::object();
    for (unsigned n = rng() % 6; n > 0; --n) {
      static const char* top[] = {
          "StreamName",        "Records",           "Tags",
          "ShardCount",        "ShardFilter",       "TagKeys",
          "StartingPosition",  "ShardLevelMetrics", "Data",
          "StreamModeDetails", "Timestamp",         "EnforceConsumerDeletion"};
      body[top[rng() % 12]] = randomTree(rng, 0);
    }
    for (const auto& op : operationInputs()) {
      (void)validateInput(body, *op.input, WireFormat::kJson);
      (void)validateInput(body, *op.input, WireFormat::kCbor);
    }
  }
  // Non-object inputs.
  EXPECT_FALSE(validateInput(Json::array(), kCreateStreamInput, WireFormat::kJson).ok());
  EXPECT_FALSE(validateInput(1, kCreateStreamInput, WireFormat::kJson).ok());
}

TEST(Concurrency, ValidatesFromManyThreads) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&failures, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string name = (i + t) % 3 == 0 ? "bad name" : "good-name";
        auto r = validateInput({{"StreamName", name},
                                {"ShardToSplit", "shardId-0"},
                                {"NewStartingHashKey", std::to_string(i)}},
                               kSplitShardInput, WireFormat::kJson);
        if (r.ok() == ((i + t) % 3 == 0)) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(Garbage, NaNAndInfinityFromCbor) {
  auto r = validateInput({{"StreamName", "s"}, {"ShardCount", std::nan("")}}, kCreateStreamInput,
                         WireFormat::kCbor);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, ErrorType::kSerialization);
  r = validateInput({{"StreamName", "s"}, {"ShardCount", std::numeric_limits<double>::infinity()}},
                    kCreateStreamInput, WireFormat::kCbor);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["ShardCount"], 2147483647);
  r = validateInput({{"StreamCreationTimestamp", std::nan("")}}, kListShardsInput,
                    WireFormat::kCbor);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace kbridge::kinesis
