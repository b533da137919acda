#pragma once
// Helpers shared by the stream-management actions: resolving StreamName/StreamARN, fetching a
// stream from the catalog with Kinesis's not-found wording, rendering shards and summaries, and
// paging tokens. Page sizes are per call: a token carries no limit.

#include <optional>
#include <string>

#include "kinesis/action.h"
#include "kinesis/errors.h"
#include "streams/stream_meta.h"

namespace kbridge::kinesis::actions {

// The stream an input names through StreamName or StreamARN (both may be given if they agree).
ApiResult<std::string> streamNameOf(const Json& input, const Services& services);

// Syncs the catalog (so changes made through any instance are seen) and returns the stream, or
// ResourceNotFoundException "Stream X under account Y not found.".
ApiResult<streams::StreamMeta> loadStream(const std::string& name, Services& services);

// ResourceInUseException for a stream adopted from an existing Kafka topic (streams.adopt), which
// `what` ("delete", ...) would change: kbridge leaves such a topic to its owners.
ApiStatus refuseAdopted(const streams::StreamMeta& meta, const Services& services,
                        const std::string& what);

// LimitExceededException when one more ON_DEMAND stream among `streams` (the catalog's list, which
// the caller synced) would pass streams.on_demand_stream_limit (Kinesis's wording).
ApiStatus checkOnDemandStreamLimit(const std::vector<streams::StreamMeta>& streams,
                                   const config::Config& config);

// ResourceInUseException unless the stream is ACTIVE.
ApiStatus requireActive(const streams::StreamMeta& meta, const Services& services);

std::string streamArn(const std::string& name, const config::Config& config);
ApiError streamNotFound(const std::string& name, const config::Config& config);
// ProvisionedThroughputExceededException "Rate exceeded for shard shardId-... in stream NAME under
// account ACCOUNT.", as Kinesis words it for a throttled shard (per-shard limits on writes and
// reads, a full producer queue).
ApiError shardThrottled(const std::string& stream, std::uint32_t shard,
                        const config::Config& config);

// DryRun on the data-plane actions (PutRecord, PutRecords, GetRecords, GetShardIterator): true
// when the input asks for it. Such a request goes through every check of the real one (policy,
// input, the stream and shard exist, the iterator is valid) and then, instead of writing or
// reading anything, answers dryRunPassed(): DryRunOperationException, HTTP 400, as Kinesis does.
// Per-shard limits are not charged for it; with `limits` on, the stream's dry-run limit (1/s, shared
// by the four actions) is, and a dry run past it answers ThrottlingException instead.
bool isDryRun(const Json& input);
ApiError dryRunPassed(const std::string& stream, Services& services);

Json shardJson(const streams::ShardMeta& shard);
Json modeDetailsJson(const streams::StreamMeta& meta);
Json enhancedMonitoringJson(const streams::StreamMeta& meta);

// Opaque paging tokens for ListStreams/ListShards: the resume point, the stream's creation time,
// and the issue time; valid for 300 s like Kinesis's.
struct PageToken {
  std::string kind;    // "streams" | "shards"
  std::string stream;  // shards: the stream
  std::int64_t streamCreated = 0;
  std::string after;  // exclusive resume key
  std::int64_t issuedMs = 0;
};
std::string encodePageToken(const PageToken& token);
// InvalidArgumentException for a token that does not decode or is of another kind;
// ExpiredNextTokenException past 300 s.
ApiResult<PageToken> decodePageToken(const std::string& text, std::string_view kind,
                                     std::int64_t nowMs);

// InvalidArgumentException when a stream would carry more than Kinesis's 50 tags.
ApiStatus checkTagCount(const std::string& stream, size_t count, const config::Config& config);

// Validates tag keys/values as Kinesis does for AddTagsToStream/CreateStream.
ApiStatus checkTagCharacters(const std::string& stream, const std::vector<std::string>& strings,
                             const config::Config& config, bool removing);

}  // namespace kbridge::kinesis::actions
