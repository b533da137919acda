// The one list of Kinesis operations (botocore's kinesis 2013-12-02 model), sorted by name, with
// the function that implements each. Operations without a function are part of the API but not of
// this version of kbridge: they answer UnknownOperationException with a message saying so.

#include <algorithm>
#include <array>

#include "kinesis/action.h"
#include "kinesis/actions/actions.h"

namespace kbridge::kinesis {
namespace {

using namespace actions;

constexpr std::array kActions = {
    ActionEntry{"AddTagsToStream", &addTagsToStream},
    ActionEntry{"CreateStream", &createStream},
    ActionEntry{"DecreaseStreamRetentionPeriod", &decreaseStreamRetentionPeriod},
    ActionEntry{"DeleteResourcePolicy", nullptr},
    ActionEntry{"DeleteStream", &deleteStream},
    ActionEntry{"DeregisterStreamConsumer", nullptr},
    ActionEntry{"DescribeAccountSettings", nullptr},
    ActionEntry{"DescribeLimits", &describeLimits},
    ActionEntry{"DescribeStream", &describeStream},
    ActionEntry{"DescribeStreamConsumer", nullptr},
    ActionEntry{"DescribeStreamSummary", &describeStreamSummary},
    ActionEntry{"DisableEnhancedMonitoring", &disableEnhancedMonitoring},
    ActionEntry{"EnableEnhancedMonitoring", &enableEnhancedMonitoring},
    ActionEntry{"GetRecords", &getRecords},
    ActionEntry{"GetResourcePolicy", nullptr},
    ActionEntry{"GetShardIterator", &getShardIterator},
    ActionEntry{"IncreaseStreamRetentionPeriod", &increaseStreamRetentionPeriod},
    ActionEntry{"ListShards", &listShards},
    ActionEntry{"ListStreamConsumers", nullptr},
    ActionEntry{"ListStreams", &listStreams},
    ActionEntry{"ListTagsForResource", &listTagsForResource},
    ActionEntry{"ListTagsForStream", &listTagsForStream},
    ActionEntry{"MergeShards", nullptr},
    ActionEntry{"PutRecord", &putRecord, &putRecordJson},
    ActionEntry{"PutRecords", &putRecords, &putRecordsJson},
    ActionEntry{"PutResourcePolicy", nullptr},
    ActionEntry{"RegisterStreamConsumer", nullptr},
    ActionEntry{"RemoveTagsFromStream", &removeTagsFromStream},
    ActionEntry{"SplitShard", nullptr},
    ActionEntry{"StartStreamEncryption", nullptr},
    ActionEntry{"StopStreamEncryption", nullptr},
    ActionEntry{"SubscribeToShard", nullptr},
    ActionEntry{"TagResource", &tagResource},
    ActionEntry{"UntagResource", &untagResource},
    ActionEntry{"UpdateAccountSettings", nullptr},
    ActionEntry{"UpdateMaxRecordSize", nullptr},
    ActionEntry{"UpdateShardCount", nullptr},
    ActionEntry{"UpdateStreamMode", &updateStreamMode},
    ActionEntry{"UpdateStreamWarmThroughput", nullptr},
};

constexpr bool sortedByName() {
  for (size_t i = 1; i < kActions.size(); ++i) {
    if (!(kActions[i - 1].name < kActions[i].name)) return false;
  }
  return true;
}
static_assert(sortedByName(), "kActions must stay sorted by name");

}  // namespace

const ActionEntry* findAction(std::string_view name) {
  auto it = std::lower_bound(kActions.begin(), kActions.end(), name,
                             [](const ActionEntry& e, std::string_view n) { return e.name < n; });
  if (it == kActions.end() || it->name != name) return nullptr;
  return &*it;
}

}  // namespace kbridge::kinesis
