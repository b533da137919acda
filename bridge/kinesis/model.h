#pragma once
// The input shapes of every Kinesis operation, transcribed from botocore's kinesis/2013-12-02
// service model (39 operations): types, min/max, patterns, enums and `required` lists as the model
// has them. Note that the model makes StreamName optional almost everywhere (StreamARN is the
// alternative); actions check "StreamName or StreamARN" themselves.
//
// Structure members are listed in the order Coral validates them where kinesalite records that
// order (its validations/*.js and tests), then the model's remaining members in model order.
//
// Immutable static data; safe to read from any thread once static initialization is done.

#include <span>
#include <string_view>

#include "kinesis/shape.h"

namespace kbridge::kinesis {

// Member shapes shared between operations.
extern const Shape kStreamName;
extern const Shape kTagKey;
extern const Shape kTagValue;
extern const Shape kTagMap;
extern const Shape kStreamARN;
extern const Shape kStreamId;
extern const Shape kPositiveIntegerObject;
extern const Shape kStreamMode;
extern const Shape kStreamModeDetails;
extern const Shape kNaturalIntegerObject;
extern const Shape kMaxRecordSizeInKiB;
extern const Shape kRetentionPeriodHours;
extern const Shape kResourceARN;
extern const Shape kBooleanObject;
extern const Shape kConsumerName;
extern const Shape kConsumerARN;
extern const Shape kDescribeStreamInputLimit;
extern const Shape kShardId;
extern const Shape kMetricsName;
extern const Shape kMetricsNameList;
extern const Shape kShardIterator;
extern const Shape kGetRecordsInputLimit;
extern const Shape kShardIteratorType;
extern const Shape kSequenceNumber;
extern const Shape kTimestamp;
extern const Shape kNextToken;
extern const Shape kListShardsInputLimit;
extern const Shape kShardFilterType;
extern const Shape kShardFilter;
extern const Shape kListStreamConsumersInputLimit;
extern const Shape kListStreamsInputLimit;
extern const Shape kListTagsForStreamInputLimit;
extern const Shape kData;
extern const Shape kPartitionKey;
extern const Shape kHashKey;
extern const Shape kPutRecordsRequestEntry;
extern const Shape kPutRecordsRequestEntryList;
extern const Shape kPolicy;
extern const Shape kTagKeyList;
extern const Shape kEncryptionType;
extern const Shape kKeyId;
extern const Shape kStartingPosition;
extern const Shape kMinimumThroughputBillingCommitmentInputStatus;
extern const Shape kMinimumThroughputBillingCommitmentInput;
extern const Shape kScalingType;

// Operation inputs.
extern const Shape kAddTagsToStreamInput;
extern const Shape kCreateStreamInput;
extern const Shape kDecreaseStreamRetentionPeriodInput;
extern const Shape kDeleteResourcePolicyInput;
extern const Shape kDeleteStreamInput;
extern const Shape kDeregisterStreamConsumerInput;
extern const Shape kDescribeAccountSettingsInput;
extern const Shape kDescribeLimitsInput;
extern const Shape kDescribeStreamInput;
extern const Shape kDescribeStreamConsumerInput;
extern const Shape kDescribeStreamSummaryInput;
extern const Shape kDisableEnhancedMonitoringInput;
extern const Shape kEnableEnhancedMonitoringInput;
extern const Shape kGetRecordsInput;
extern const Shape kGetResourcePolicyInput;
extern const Shape kGetShardIteratorInput;
extern const Shape kIncreaseStreamRetentionPeriodInput;
extern const Shape kListShardsInput;
extern const Shape kListStreamConsumersInput;
extern const Shape kListStreamsInput;
extern const Shape kListTagsForResourceInput;
extern const Shape kListTagsForStreamInput;
extern const Shape kMergeShardsInput;
extern const Shape kPutRecordInput;
extern const Shape kPutRecordsInput;
extern const Shape kPutResourcePolicyInput;
extern const Shape kRegisterStreamConsumerInput;
extern const Shape kRemoveTagsFromStreamInput;
extern const Shape kSplitShardInput;
extern const Shape kStartStreamEncryptionInput;
extern const Shape kStopStreamEncryptionInput;
extern const Shape kSubscribeToShardInput;
extern const Shape kTagResourceInput;
extern const Shape kUntagResourceInput;
extern const Shape kUpdateAccountSettingsInput;
extern const Shape kUpdateMaxRecordSizeInput;
extern const Shape kUpdateShardCountInput;
extern const Shape kUpdateStreamModeInput;
extern const Shape kUpdateStreamWarmThroughputInput;

struct OperationInput {
  std::string_view operation;  // e.g. "PutRecords" (the part of X-Amz-Target after the '.')
  const Shape* input;
};

// Every operation of the model with its input shape, sorted by name.
std::span<const OperationInput> operationInputs();

// The input shape of `operation` ("CreateStream"), or nullptr for a name the model lacks.
const Shape* inputShapeFor(std::string_view operation);

}  // namespace kbridge::kinesis
