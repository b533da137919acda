#include "kinesis/model.h"

#include <algorithm>
#include <array>
#include <utility>

namespace kbridge::kinesis {

namespace {

// Builds one Shape from the model's attributes (a builder, because designated initializers that
// skip members trip -Wmissing-field-initializers).
class Make {
 public:
  Make(ShapeType type, std::string_view name) {
    shape_.type = type;
    shape_.name = name;
  }
  Make&& min(std::int64_t v) && {
    shape_.min = v;
    return std::move(*this);
  }
  Make&& max(std::int64_t v) && {
    shape_.max = v;
    return std::move(*this);
  }
  Make&& pattern(std::string_view p) && {
    shape_.pattern = p;
    return std::move(*this);
  }
  Make&& oneOf(std::vector<std::string_view> values) && {
    shape_.enumValues = std::move(values);
    return std::move(*this);
  }
  Make&& member(const Shape& m) && {
    shape_.member = &m;
    return std::move(*this);
  }
  Make&& map(const Shape& key, const Shape& value) && {
    shape_.key = &key;
    shape_.member = &value;
    return std::move(*this);
  }
  Make&& fields(std::vector<Field> f) && {
    shape_.fields = std::move(f);
    return std::move(*this);
  }
  operator Shape() && { return std::move(shape_); }

 private:
  Shape shape_;
};

}  // namespace

// Transcribed from botocore's kinesis/2013-12-02/service-2.json; members are defined before the
// structures that use them (only their addresses are taken, so the order is for the reader).

const Shape kStreamName =
    Make(ShapeType::kString, "StreamName").min(1).max(128).pattern(R"re([a-zA-Z0-9_.-]+)re");
const Shape kTagKey = Make(ShapeType::kString, "TagKey").min(1).max(128);
const Shape kTagValue = Make(ShapeType::kString, "TagValue").min(0).max(256);
const Shape kTagMap = Make(ShapeType::kMap, "TagMap").min(1).max(200).map(kTagKey, kTagValue);
const Shape kStreamARN = Make(ShapeType::kString, "StreamARN")
                             .min(1)
                             .max(2048)
                             .pattern(R"re(arn:aws.*:kinesis:.*:\d{12}:stream/\S+)re");
const Shape kStreamId =
    Make(ShapeType::kString, "StreamId").min(1).max(24).pattern(R"re([a-z0-9]{20}-[a-z0-9]{3})re");
const Shape kAddTagsToStreamInput = Make(ShapeType::kStructure, "AddTagsToStreamInput")
                                        .fields({{"Tags", &kTagMap, true},
                                                 {"StreamName", &kStreamName, false},
                                                 {"StreamARN", &kStreamARN, false},
                                                 {"StreamId", &kStreamId, false}});
const Shape kPositiveIntegerObject = Make(ShapeType::kInteger, "PositiveIntegerObject").min(1);
const Shape kStreamMode =
    Make(ShapeType::kString, "StreamMode").oneOf({"PROVISIONED", "ON_DEMAND"});
const Shape kStreamModeDetails =
    Make(ShapeType::kStructure, "StreamModeDetails").fields({{"StreamMode", &kStreamMode, true}});
const Shape kNaturalIntegerObject = Make(ShapeType::kInteger, "NaturalIntegerObject").min(0);
const Shape kMaxRecordSizeInKiB =
    Make(ShapeType::kInteger, "MaxRecordSizeInKiB").min(1024).max(10240);
const Shape kRecordDistributionStrategy =
    Make(ShapeType::kString, "RecordDistributionStrategy").oneOf({"AUTO", "USER_PARTITION_KEY"});
const Shape kCreateStreamInput =
    Make(ShapeType::kStructure, "CreateStreamInput")
        .fields({{"ShardCount", &kPositiveIntegerObject, false},
                 {"StreamName", &kStreamName, true},
                 {"StreamModeDetails", &kStreamModeDetails, false},
                 {"Tags", &kTagMap, false},
                 {"WarmThroughputMiBps", &kNaturalIntegerObject, false},
                 {"MaxRecordSizeInKiB", &kMaxRecordSizeInKiB, false},
                 {"RecordDistributionStrategy", &kRecordDistributionStrategy, false}});
const Shape kRetentionPeriodHours = Make(ShapeType::kInteger, "RetentionPeriodHours");
const Shape kDecreaseStreamRetentionPeriodInput =
    Make(ShapeType::kStructure, "DecreaseStreamRetentionPeriodInput")
        .fields({{"RetentionPeriodHours", &kRetentionPeriodHours, true},
                 {"StreamName", &kStreamName, false},
                 {"StreamARN", &kStreamARN, false},
                 {"StreamId", &kStreamId, false}});
const Shape kResourceARN = Make(ShapeType::kString, "ResourceARN")
                               .min(1)
                               .max(2048)
                               .pattern(R"re(arn:aws.*:kinesis:.*:\d{12}:.*stream/\S+)re");
const Shape kDeleteResourcePolicyInput =
    Make(ShapeType::kStructure, "DeleteResourcePolicyInput")
        .fields({{"ResourceARN", &kResourceARN, true}, {"StreamId", &kStreamId, false}});
const Shape kBooleanObject = Make(ShapeType::kBoolean, "BooleanObject");
const Shape kDeleteStreamInput = Make(ShapeType::kStructure, "DeleteStreamInput")
                                     .fields({{"StreamName", &kStreamName, false},
                                              {"EnforceConsumerDeletion", &kBooleanObject, false},
                                              {"StreamARN", &kStreamARN, false},
                                              {"StreamId", &kStreamId, false}});
const Shape kConsumerName =
    Make(ShapeType::kString, "ConsumerName").min(1).max(128).pattern(R"re([a-zA-Z0-9_.-]+)re");
const Shape kConsumerARN =
    Make(ShapeType::kString, "ConsumerARN")
        .min(1)
        .max(2048)
        .pattern(
            R"re(^(arn):aws.*:kinesis:.*:\d{12}:.*stream\/[a-zA-Z0-9_.-]+\/consumer\/[a-zA-Z0-9_.-]+:[0-9]+)re");
const Shape kDeregisterStreamConsumerInput =
    Make(ShapeType::kStructure, "DeregisterStreamConsumerInput")
        .fields({{"StreamARN", &kStreamARN, false},
                 {"ConsumerName", &kConsumerName, false},
                 {"ConsumerARN", &kConsumerARN, false},
                 {"StreamId", &kStreamId, false}});
const Shape kDescribeAccountSettingsInput =
    Make(ShapeType::kStructure, "DescribeAccountSettingsInput").fields({});
const Shape kDescribeLimitsInput = Make(ShapeType::kStructure, "DescribeLimitsInput").fields({});
const Shape kDescribeStreamInputLimit =
    Make(ShapeType::kInteger, "DescribeStreamInputLimit").min(1).max(10000);
const Shape kShardId =
    Make(ShapeType::kString, "ShardId").min(1).max(128).pattern(R"re([a-zA-Z0-9_.-]+)re");
const Shape kDescribeStreamInput = Make(ShapeType::kStructure, "DescribeStreamInput")
                                       .fields({{"Limit", &kDescribeStreamInputLimit, false},
                                                {"ExclusiveStartShardId", &kShardId, false},
                                                {"StreamName", &kStreamName, false},
                                                {"StreamARN", &kStreamARN, false},
                                                {"StreamId", &kStreamId, false}});
const Shape kDescribeStreamConsumerInput =
    Make(ShapeType::kStructure, "DescribeStreamConsumerInput")
        .fields({{"StreamARN", &kStreamARN, false},
                 {"ConsumerName", &kConsumerName, false},
                 {"ConsumerARN", &kConsumerARN, false},
                 {"StreamId", &kStreamId, false}});
const Shape kDescribeStreamSummaryInput = Make(ShapeType::kStructure, "DescribeStreamSummaryInput")
                                              .fields({{"StreamName", &kStreamName, false},
                                                       {"StreamARN", &kStreamARN, false},
                                                       {"StreamId", &kStreamId, false}});
const Shape kMetricsName =
    Make(ShapeType::kString, "MetricsName")
        .oneOf({"IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
                "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
                "IteratorAgeMilliseconds", "ALL"});
const Shape kMetricsNameList =
    Make(ShapeType::kList, "MetricsNameList").min(1).max(7).member(kMetricsName);
const Shape kDisableEnhancedMonitoringInput =
    Make(ShapeType::kStructure, "DisableEnhancedMonitoringInput")
        .fields({{"StreamName", &kStreamName, false},
                 {"ShardLevelMetrics", &kMetricsNameList, true},
                 {"StreamARN", &kStreamARN, false},
                 {"StreamId", &kStreamId, false}});
const Shape kEnableEnhancedMonitoringInput =
    Make(ShapeType::kStructure, "EnableEnhancedMonitoringInput")
        .fields({{"StreamName", &kStreamName, false},
                 {"ShardLevelMetrics", &kMetricsNameList, true},
                 {"StreamARN", &kStreamARN, false},
                 {"StreamId", &kStreamId, false}});
const Shape kShardIterator = Make(ShapeType::kString, "ShardIterator").min(1).max(512);
const Shape kGetRecordsInputLimit =
    Make(ShapeType::kInteger, "GetRecordsInputLimit").min(1).max(10000);
const Shape kGetRecordsInput = Make(ShapeType::kStructure, "GetRecordsInput")
                                   .fields({{"Limit", &kGetRecordsInputLimit, false},
                                            {"ShardIterator", &kShardIterator, true},
                                            {"StreamARN", &kStreamARN, false},
                                            {"StreamId", &kStreamId, false},
                                            {"DryRun", &kBooleanObject, false}});
const Shape kGetResourcePolicyInput =
    Make(ShapeType::kStructure, "GetResourcePolicyInput")
        .fields({{"ResourceARN", &kResourceARN, true}, {"StreamId", &kStreamId, false}});
const Shape kShardIteratorType = Make(ShapeType::kString, "ShardIteratorType")
                                     // Coral lists the values in this order in its messages.
                                     .oneOf({"AFTER_SEQUENCE_NUMBER", "LATEST", "AT_TIMESTAMP",
                                             "AT_SEQUENCE_NUMBER", "TRIM_HORIZON"});
const Shape kSequenceNumber =
    Make(ShapeType::kString, "SequenceNumber").pattern(R"re(0|([1-9]\d{0,128}))re");
const Shape kTimestamp = Make(ShapeType::kTimestamp, "Timestamp");
const Shape kGetShardIteratorInput =
    Make(ShapeType::kStructure, "GetShardIteratorInput")
        .fields({{"ShardId", &kShardId, true},
                 {"ShardIteratorType", &kShardIteratorType, true},
                 {"StartingSequenceNumber", &kSequenceNumber, false},
                 {"StreamName", &kStreamName, false},
                 {"Timestamp", &kTimestamp, false},
                 {"StreamARN", &kStreamARN, false},
                 {"StreamId", &kStreamId, false},
                 {"DryRun", &kBooleanObject, false}});
const Shape kIncreaseStreamRetentionPeriodInput =
    Make(ShapeType::kStructure, "IncreaseStreamRetentionPeriodInput")
        .fields({{"RetentionPeriodHours", &kRetentionPeriodHours, true},
                 {"StreamName", &kStreamName, false},
                 {"StreamARN", &kStreamARN, false},
                 {"StreamId", &kStreamId, false}});
const Shape kNextToken = Make(ShapeType::kString, "NextToken").min(1).max(1048576);
const Shape kListShardsInputLimit =
    Make(ShapeType::kInteger, "ListShardsInputLimit").min(1).max(10000);
const Shape kShardFilterType = Make(ShapeType::kString, "ShardFilterType")
                                   .oneOf({"AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON",
                                           "AT_LATEST", "AT_TIMESTAMP", "FROM_TIMESTAMP"});
const Shape kShardFilter = Make(ShapeType::kStructure, "ShardFilter")
                               .fields({{"Type", &kShardFilterType, true},
                                        {"ShardId", &kShardId, false},
                                        {"Timestamp", &kTimestamp, false}});
const Shape kListShardsInput = Make(ShapeType::kStructure, "ListShardsInput")
                                   .fields({{"MaxResults", &kListShardsInputLimit, false},
                                            {"ExclusiveStartShardId", &kShardId, false},
                                            {"StreamName", &kStreamName, false},
                                            {"NextToken", &kNextToken, false},
                                            {"StreamCreationTimestamp", &kTimestamp, false},
                                            {"ShardFilter", &kShardFilter, false},
                                            {"StreamARN", &kStreamARN, false},
                                            {"StreamId", &kStreamId, false}});
const Shape kListStreamConsumersInputLimit =
    Make(ShapeType::kInteger, "ListStreamConsumersInputLimit").min(1).max(10000);
const Shape kListStreamConsumersInput =
    Make(ShapeType::kStructure, "ListStreamConsumersInput")
        .fields({{"StreamARN", &kStreamARN, true},
                 {"NextToken", &kNextToken, false},
                 {"MaxResults", &kListStreamConsumersInputLimit, false},
                 {"StreamCreationTimestamp", &kTimestamp, false},
                 {"StreamId", &kStreamId, false}});
const Shape kListStreamsInputLimit =
    Make(ShapeType::kInteger, "ListStreamsInputLimit").min(1).max(10000);
const Shape kListStreamsInput = Make(ShapeType::kStructure, "ListStreamsInput")
                                    .fields({{"Limit", &kListStreamsInputLimit, false},
                                             {"ExclusiveStartStreamName", &kStreamName, false},
                                             {"NextToken", &kNextToken, false}});
const Shape kListTagsForResourceInput =
    Make(ShapeType::kStructure, "ListTagsForResourceInput")
        .fields({{"ResourceARN", &kResourceARN, true}, {"StreamId", &kStreamId, false}});
const Shape kListTagsForStreamInputLimit =
    Make(ShapeType::kInteger, "ListTagsForStreamInputLimit").min(1).max(50);
const Shape kListTagsForStreamInput = Make(ShapeType::kStructure, "ListTagsForStreamInput")
                                          .fields({{"Limit", &kListTagsForStreamInputLimit, false},
                                                   {"ExclusiveStartTagKey", &kTagKey, false},
                                                   {"StreamName", &kStreamName, false},
                                                   {"StreamARN", &kStreamARN, false},
                                                   {"StreamId", &kStreamId, false}});
const Shape kMergeShardsInput = Make(ShapeType::kStructure, "MergeShardsInput")
                                    .fields({{"ShardToMerge", &kShardId, true},
                                             {"AdjacentShardToMerge", &kShardId, true},
                                             {"StreamName", &kStreamName, false},
                                             {"StreamARN", &kStreamARN, false},
                                             {"StreamId", &kStreamId, false}});
// The model allows 10 MiB since UpdateMaxRecordSize exists; a stream's default, and kbridge's only
// record size, is 1 MiB, which Kinesis enforces with this same validation message.
const Shape kData = Make(ShapeType::kBlob, "Data").min(0).max(1048576);
const Shape kPartitionKey = Make(ShapeType::kString, "PartitionKey").min(1).max(256);
const Shape kHashKey = Make(ShapeType::kString, "HashKey").pattern(R"re(0|([1-9]\d{0,38}))re");
const Shape kPutRecordInput = Make(ShapeType::kStructure, "PutRecordInput")
                                  .fields({{"SequenceNumberForOrdering", &kSequenceNumber, false},
                                           {"PartitionKey", &kPartitionKey, true},
                                           {"ExplicitHashKey", &kHashKey, false},
                                           {"Data", &kData, true},
                                           {"StreamName", &kStreamName, false},
                                           {"StreamARN", &kStreamARN, false},
                                           {"StreamId", &kStreamId, false},
                                           {"DryRun", &kBooleanObject, false}});
const Shape kPutRecordsRequestEntry = Make(ShapeType::kStructure, "PutRecordsRequestEntry")
                                          .fields({{"PartitionKey", &kPartitionKey, true},
                                                   {"ExplicitHashKey", &kHashKey, false},
                                                   {"Data", &kData, true}});
const Shape kPutRecordsRequestEntryList = Make(ShapeType::kList, "PutRecordsRequestEntryList")
                                              .min(1)
                                              .max(500)
                                              .member(kPutRecordsRequestEntry);
const Shape kPutRecordsInput = Make(ShapeType::kStructure, "PutRecordsInput")
                                   .fields({{"Records", &kPutRecordsRequestEntryList, true},
                                            {"StreamName", &kStreamName, false},
                                            {"StreamARN", &kStreamARN, false},
                                            {"StreamId", &kStreamId, false},
                                            {"DryRun", &kBooleanObject, false}});
const Shape kPolicy = Make(ShapeType::kString, "Policy");
const Shape kPutResourcePolicyInput = Make(ShapeType::kStructure, "PutResourcePolicyInput")
                                          .fields({{"ResourceARN", &kResourceARN, true},
                                                   {"StreamId", &kStreamId, false},
                                                   {"Policy", &kPolicy, true}});
const Shape kRegisterStreamConsumerInput =
    Make(ShapeType::kStructure, "RegisterStreamConsumerInput")
        .fields({{"StreamARN", &kStreamARN, true},
                 {"ConsumerName", &kConsumerName, true},
                 {"StreamId", &kStreamId, false},
                 {"Tags", &kTagMap, false}});
const Shape kTagKeyList = Make(ShapeType::kList, "TagKeyList").min(1).max(50).member(kTagKey);
const Shape kRemoveTagsFromStreamInput = Make(ShapeType::kStructure, "RemoveTagsFromStreamInput")
                                             .fields({{"TagKeys", &kTagKeyList, true},
                                                      {"StreamName", &kStreamName, false},
                                                      {"StreamARN", &kStreamARN, false},
                                                      {"StreamId", &kStreamId, false}});
const Shape kSplitShardInput = Make(ShapeType::kStructure, "SplitShardInput")
                                   .fields({{"NewStartingHashKey", &kHashKey, true},
                                            {"StreamName", &kStreamName, false},
                                            {"ShardToSplit", &kShardId, true},
                                            {"StreamARN", &kStreamARN, false},
                                            {"StreamId", &kStreamId, false}});
const Shape kEncryptionType = Make(ShapeType::kString, "EncryptionType").oneOf({"NONE", "KMS"});
const Shape kKeyId = Make(ShapeType::kString, "KeyId").min(1).max(2048);
const Shape kStartStreamEncryptionInput = Make(ShapeType::kStructure, "StartStreamEncryptionInput")
                                              .fields({{"StreamName", &kStreamName, false},
                                                       {"EncryptionType", &kEncryptionType, true},
                                                       {"KeyId", &kKeyId, true},
                                                       {"StreamARN", &kStreamARN, false},
                                                       {"StreamId", &kStreamId, false}});
const Shape kStopStreamEncryptionInput = Make(ShapeType::kStructure, "StopStreamEncryptionInput")
                                             .fields({{"StreamName", &kStreamName, false},
                                                      {"EncryptionType", &kEncryptionType, true},
                                                      {"KeyId", &kKeyId, true},
                                                      {"StreamARN", &kStreamARN, false},
                                                      {"StreamId", &kStreamId, false}});
const Shape kStartingPosition = Make(ShapeType::kStructure, "StartingPosition")
                                    .fields({{"Type", &kShardIteratorType, true},
                                             {"SequenceNumber", &kSequenceNumber, false},
                                             {"Timestamp", &kTimestamp, false}});
const Shape kSubscribeToShardInput = Make(ShapeType::kStructure, "SubscribeToShardInput")
                                         .fields({{"ConsumerARN", &kConsumerARN, true},
                                                  {"StreamId", &kStreamId, false},
                                                  {"ShardId", &kShardId, true},
                                                  {"StartingPosition", &kStartingPosition, true}});
const Shape kTagResourceInput = Make(ShapeType::kStructure, "TagResourceInput")
                                    .fields({{"Tags", &kTagMap, true},
                                             {"ResourceARN", &kResourceARN, true},
                                             {"StreamId", &kStreamId, false}});
const Shape kUntagResourceInput = Make(ShapeType::kStructure, "UntagResourceInput")
                                      .fields({{"TagKeys", &kTagKeyList, true},
                                               {"ResourceARN", &kResourceARN, true},
                                               {"StreamId", &kStreamId, false}});
const Shape kMinimumThroughputBillingCommitmentInputStatus =
    Make(ShapeType::kString, "MinimumThroughputBillingCommitmentInputStatus")
        .oneOf({"ENABLED", "DISABLED"});
const Shape kMinimumThroughputBillingCommitmentInput =
    Make(ShapeType::kStructure, "MinimumThroughputBillingCommitmentInput")
        .fields({{"Status", &kMinimumThroughputBillingCommitmentInputStatus, true}});
const Shape kUpdateAccountSettingsInput =
    Make(ShapeType::kStructure, "UpdateAccountSettingsInput")
        .fields({{"MinimumThroughputBillingCommitment", &kMinimumThroughputBillingCommitmentInput,
                  true}});
const Shape kUpdateMaxRecordSizeInput =
    Make(ShapeType::kStructure, "UpdateMaxRecordSizeInput")
        .fields({{"StreamARN", &kStreamARN, false},
                 {"StreamId", &kStreamId, false},
                 {"MaxRecordSizeInKiB", &kMaxRecordSizeInKiB, true}});
const Shape kScalingType = Make(ShapeType::kString, "ScalingType").oneOf({"UNIFORM_SCALING"});
const Shape kUpdateShardCountInput =
    Make(ShapeType::kStructure, "UpdateShardCountInput")
        .fields({{"StreamName", &kStreamName, false},
                 {"TargetShardCount", &kPositiveIntegerObject, true},
                 {"ScalingType", &kScalingType, true},
                 {"StreamARN", &kStreamARN, false},
                 {"StreamId", &kStreamId, false}});
const Shape kUpdateStreamModeInput =
    Make(ShapeType::kStructure, "UpdateStreamModeInput")
        .fields({{"StreamARN", &kStreamARN, true},
                 {"StreamId", &kStreamId, false},
                 {"StreamModeDetails", &kStreamModeDetails, true},
                 {"WarmThroughputMiBps", &kNaturalIntegerObject, false}});
const Shape kUpdateStreamWarmThroughputInput =
    Make(ShapeType::kStructure, "UpdateStreamWarmThroughputInput")
        .fields({{"StreamARN", &kStreamARN, false},
                 {"StreamName", &kStreamName, false},
                 {"StreamId", &kStreamId, false},
                 {"WarmThroughputMiBps", &kNaturalIntegerObject, true}});

namespace {

constexpr std::array<OperationInput, 39> kOperations{{
    OperationInput{"AddTagsToStream", &kAddTagsToStreamInput},
    OperationInput{"CreateStream", &kCreateStreamInput},
    OperationInput{"DecreaseStreamRetentionPeriod", &kDecreaseStreamRetentionPeriodInput},
    OperationInput{"DeleteResourcePolicy", &kDeleteResourcePolicyInput},
    OperationInput{"DeleteStream", &kDeleteStreamInput},
    OperationInput{"DeregisterStreamConsumer", &kDeregisterStreamConsumerInput},
    OperationInput{"DescribeAccountSettings", &kDescribeAccountSettingsInput},
    OperationInput{"DescribeLimits", &kDescribeLimitsInput},
    OperationInput{"DescribeStream", &kDescribeStreamInput},
    OperationInput{"DescribeStreamConsumer", &kDescribeStreamConsumerInput},
    OperationInput{"DescribeStreamSummary", &kDescribeStreamSummaryInput},
    OperationInput{"DisableEnhancedMonitoring", &kDisableEnhancedMonitoringInput},
    OperationInput{"EnableEnhancedMonitoring", &kEnableEnhancedMonitoringInput},
    OperationInput{"GetRecords", &kGetRecordsInput},
    OperationInput{"GetResourcePolicy", &kGetResourcePolicyInput},
    OperationInput{"GetShardIterator", &kGetShardIteratorInput},
    OperationInput{"IncreaseStreamRetentionPeriod", &kIncreaseStreamRetentionPeriodInput},
    OperationInput{"ListShards", &kListShardsInput},
    OperationInput{"ListStreamConsumers", &kListStreamConsumersInput},
    OperationInput{"ListStreams", &kListStreamsInput},
    OperationInput{"ListTagsForResource", &kListTagsForResourceInput},
    OperationInput{"ListTagsForStream", &kListTagsForStreamInput},
    OperationInput{"MergeShards", &kMergeShardsInput},
    OperationInput{"PutRecord", &kPutRecordInput},
    OperationInput{"PutRecords", &kPutRecordsInput},
    OperationInput{"PutResourcePolicy", &kPutResourcePolicyInput},
    OperationInput{"RegisterStreamConsumer", &kRegisterStreamConsumerInput},
    OperationInput{"RemoveTagsFromStream", &kRemoveTagsFromStreamInput},
    OperationInput{"SplitShard", &kSplitShardInput},
    OperationInput{"StartStreamEncryption", &kStartStreamEncryptionInput},
    OperationInput{"StopStreamEncryption", &kStopStreamEncryptionInput},
    OperationInput{"SubscribeToShard", &kSubscribeToShardInput},
    OperationInput{"TagResource", &kTagResourceInput},
    OperationInput{"UntagResource", &kUntagResourceInput},
    OperationInput{"UpdateAccountSettings", &kUpdateAccountSettingsInput},
    OperationInput{"UpdateMaxRecordSize", &kUpdateMaxRecordSizeInput},
    OperationInput{"UpdateShardCount", &kUpdateShardCountInput},
    OperationInput{"UpdateStreamMode", &kUpdateStreamModeInput},
    OperationInput{"UpdateStreamWarmThroughput", &kUpdateStreamWarmThroughputInput},
}};

}  // namespace

std::span<const OperationInput> operationInputs() {
  return kOperations;
}

const Shape* inputShapeFor(std::string_view operation) {
  const auto it = std::lower_bound(
      kOperations.begin(), kOperations.end(), operation,
      [](const OperationInput& entry, std::string_view name) { return entry.operation < name; });
  if (it == kOperations.end() || it->operation != operation) return nullptr;
  return it->input;
}

}  // namespace kbridge::kinesis
