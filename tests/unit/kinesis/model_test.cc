#include "kinesis/model.h"

#include <gtest/gtest.h>

#include <algorithm>

// GCC 12 reports a false -Wmaybe-uninitialized inside <regex> when sanitizers are on.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <set>
#include <string>
#include <vector>

namespace kbridge::kinesis {
namespace {

std::vector<std::string> fieldNames(const Shape& s) {
  std::vector<std::string> names;
  for (const Field& f : s.fields) names.emplace_back(f.name);
  return names;
}

std::vector<std::string> requiredNames(const Shape& s) {
  std::vector<std::string> names;
  for (const Field& f : s.fields)
    if (f.required) names.emplace_back(f.name);
  return names;
}

TEST(Model, AllOperationsSortedAndFound) {
  const auto ops = operationInputs();
  EXPECT_EQ(ops.size(), 39u);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (i > 0) {
      EXPECT_LT(ops[i - 1].operation, ops[i].operation);
    }
    ASSERT_NE(ops[i].input, nullptr);
    EXPECT_EQ(inputShapeFor(ops[i].operation), ops[i].input);
    EXPECT_EQ(ops[i].input->type, ShapeType::kStructure);
    EXPECT_EQ(ops[i].input->name, std::string(ops[i].operation) + "Input");
  }
  EXPECT_EQ(inputShapeFor("PutRecords"), &kPutRecordsInput);
  EXPECT_EQ(inputShapeFor("SubscribeToShard"), &kSubscribeToShardInput);
  EXPECT_EQ(inputShapeFor("UpdateStreamWarmThroughput"), &kUpdateStreamWarmThroughputInput);
  EXPECT_EQ(inputShapeFor(""), nullptr);
  EXPECT_EQ(inputShapeFor("putRecords"), nullptr);
  EXPECT_EQ(inputShapeFor("Kinesis_20131202.PutRecords"), nullptr);
  EXPECT_EQ(inputShapeFor("ZZZ"), nullptr);
}

void checkShape(const Shape& s, std::set<const Shape*>& seen) {
  if (!seen.insert(&s).second) return;
  EXPECT_FALSE(s.name.empty());
  if (!s.pattern.empty()) {
    EXPECT_NO_THROW(std::regex(std::string(s.pattern), std::regex::ECMAScript)) << s.name;
  }
  switch (s.type) {
    case ShapeType::kList:
      ASSERT_NE(s.member, nullptr) << s.name;
      checkShape(*s.member, seen);
      break;
    case ShapeType::kMap:
      ASSERT_NE(s.member, nullptr) << s.name;
      ASSERT_NE(s.key, nullptr) << s.name;
      checkShape(*s.key, seen);
      checkShape(*s.member, seen);
      break;
    case ShapeType::kStructure:
      for (const Field& f : s.fields) {
        ASSERT_NE(f.shape, nullptr) << s.name << "." << f.name;
        checkShape(*f.shape, seen);
      }
      break;
    default:
      EXPECT_TRUE(s.fields.empty());
      EXPECT_EQ(s.member, nullptr);
  }
}

TEST(Model, ShapesAreWellFormedAndPatternsCompile) {
  std::set<const Shape*> seen;
  for (const auto& op : operationInputs()) checkShape(*op.input, seen);
  EXPECT_GT(seen.size(), 80u);
}

TEST(Model, SharedShapesCarryTheModelConstraints) {
  EXPECT_EQ(kStreamName.min, 1);
  EXPECT_EQ(kStreamName.max, 128);
  EXPECT_EQ(kStreamName.pattern, "[a-zA-Z0-9_.-]+");
  EXPECT_EQ(kStreamARN.max, 2048);
  EXPECT_EQ(kShardId.pattern, "[a-zA-Z0-9_.-]+");
  EXPECT_EQ(kNextToken.max, 1048576);
  EXPECT_EQ(kTagMap.type, ShapeType::kMap);
  EXPECT_EQ(kTagMap.key, &kTagKey);
  EXPECT_EQ(kTagMap.member, &kTagValue);
  EXPECT_EQ(kTagValue.min, 0);
  EXPECT_EQ(kData.max, 1048576);  // the default record size, not the model's 10 MiB
  EXPECT_EQ(kHashKey.pattern, "0|([1-9]\\d{0,38})");
  EXPECT_EQ(kPutRecordsRequestEntryList.max, 500);
  EXPECT_EQ(kPutRecordsRequestEntryList.member, &kPutRecordsRequestEntry);
  EXPECT_EQ(kShardIteratorType.enumValues.size(), 5u);
  EXPECT_EQ(kTimestamp.type, ShapeType::kTimestamp);
}

TEST(Model, RequiredListsAsInTheModel) {
  EXPECT_EQ(requiredNames(kCreateStreamInput), std::vector<std::string>{"StreamName"});
  EXPECT_EQ(requiredNames(kPutRecordsInput), std::vector<std::string>{"Records"});
  EXPECT_EQ(requiredNames(kPutRecordInput), (std::vector<std::string>{"PartitionKey", "Data"}));
  EXPECT_EQ(requiredNames(kGetShardIteratorInput),
            (std::vector<std::string>{"ShardId", "ShardIteratorType"}));
  EXPECT_EQ(requiredNames(kSubscribeToShardInput),
            (std::vector<std::string>{"ConsumerARN", "ShardId", "StartingPosition"}));
  EXPECT_TRUE(requiredNames(kDescribeStreamInput).empty());
  EXPECT_TRUE(requiredNames(kListShardsInput).empty());
  EXPECT_TRUE(kDescribeLimitsInput.fields.empty());
}

TEST(Model, DryRunOnTheDataPlaneInputs) {
  for (const Shape* input :
       {&kPutRecordInput, &kPutRecordsInput, &kGetShardIteratorInput, &kGetRecordsInput}) {
    const auto names = fieldNames(*input);
    EXPECT_NE(std::find(names.begin(), names.end(), "DryRun"), names.end()) << input->name;
  }
}

TEST(Model, CoralMemberOrderWhereKinesaliteRecordsIt) {
  EXPECT_EQ(fieldNames(kCreateStreamInput),
            (std::vector<std::string>{"ShardCount", "StreamName", "StreamModeDetails", "Tags",
                                      "WarmThroughputMiBps", "MaxRecordSizeInKiB",
                                      "RecordDistributionStrategy"}));
  EXPECT_EQ(fieldNames(kPutRecordsRequestEntry),
            (std::vector<std::string>{"PartitionKey", "ExplicitHashKey", "Data"}));
  EXPECT_EQ(fieldNames(kListShardsInput),
            (std::vector<std::string>{"MaxResults", "ExclusiveStartShardId", "StreamName",
                                      "NextToken", "StreamCreationTimestamp", "ShardFilter",
                                      "StreamARN", "StreamId"}));
}

}  // namespace
}  // namespace kbridge::kinesis
