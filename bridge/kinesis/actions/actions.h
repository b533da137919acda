#pragma once
// Entry points of the implemented Kinesis actions, one per file in this folder; listed in
// kinesis/action_table.cc.

#include "kinesis/action.h"

namespace kbridge::kinesis::actions {

void addTagsToStream(ActionCall call);
void disableEnhancedMonitoring(ActionCall call);
void enableEnhancedMonitoring(ActionCall call);
void createStream(ActionCall call);
void decreaseStreamRetentionPeriod(ActionCall call);
void deleteStream(ActionCall call);
void describeLimits(ActionCall call);
void describeStream(ActionCall call);
void describeStreamSummary(ActionCall call);
void getRecords(ActionCall call);
void getShardIterator(ActionCall call);
void increaseStreamRetentionPeriod(ActionCall call);
void listShards(ActionCall call);
void listStreams(ActionCall call);
void listTagsForResource(ActionCall call);
void listTagsForStream(ActionCall call);
void putRecord(ActionCall call);
bool putRecordJson(std::string_view body, ActionCall& call);  // FastJsonFn
void putRecords(ActionCall call);
bool putRecordsJson(std::string_view body, ActionCall& call);  // FastJsonFn
void removeTagsFromStream(ActionCall call);
void tagResource(ActionCall call);
void untagResource(ActionCall call);
void updateStreamMode(ActionCall call);

}  // namespace kbridge::kinesis::actions
