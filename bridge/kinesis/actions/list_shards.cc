// ListShards: a stream's shards, paged by NextToken, filtered by ExclusiveStartShardId or
// ShardFilter. The NextToken carries the stream (so it cannot be combined with StreamName) and
// expires after 300 s.

#include <algorithm>

#include "kinesis/actions/actions.h"
#include "kinesis/actions/common.h"
#include "streams/catalog.h"

namespace kbridge::kinesis::actions {
namespace {

ApiResult<Json> listShards(const Json& input, WireFormat, Services& services) {
  const bool hasStream = input.contains("StreamName") || input.contains("StreamARN");
  const bool hasToken = input.contains("NextToken");
  if (!hasStream && !hasToken) {
    return apiError(ErrorType::kInvalidArgument,
                    "Either NextToken or StreamName should be provided.");
  }
  for (const char* member : {"StreamName", "StreamARN", "ExclusiveStartShardId", "ShardFilter",
                             "StreamCreationTimestamp"}) {
    if (hasToken && input.contains(member)) {
      return apiError(ErrorType::kInvalidArgument,
                      std::string("NextToken and ") + member + " cannot be provided together.");
    }
  }
  std::string name;
  std::string after;
  // Kinesis returns at most 1000 shards per call, whatever MaxResults asks for.
  const int limit = std::min(input.value("MaxResults", 1000), 1000);
  std::optional<std::int64_t> createdMs;
  if (hasToken) {
    auto token = decodePageToken(input["NextToken"].get<std::string>(), "shards",
                                 services.clock->nowMillis());
    if (!token) return fail(token.error());
    name = token->stream;
    after = token->after;
    createdMs = token->streamCreated;
  } else {
    auto n = streamNameOf(input, services);
    if (!n) return fail(n.error());
    name = *n;
    after = input.value("ExclusiveStartShardId", "");
    if (input.contains("StreamCreationTimestamp")) {
      createdMs = input["StreamCreationTimestamp"].get<std::int64_t>();
    }
  }
  auto meta = loadStream(name, services);
  if (!meta) return fail(meta.error());
  // A token or creation timestamp of an earlier stream of the same name does not match this one.
  if (createdMs && *createdMs / 1000 != meta->creationTimeMs / 1000) {
    if (hasToken) {
      return apiError(ErrorType::kExpiredNextToken,
                      "The NextToken belongs to an earlier stream named " + name + ".");
    }
    return fail(streamNotFound(name, *services.config));
  }

  bool openOnly = false;
  if (input.contains("ShardFilter")) {
    const auto& filter = input["ShardFilter"];
    const std::string type = filter.value("Type", "");
    if (type == "AFTER_SHARD_ID") {
      if (!filter.contains("ShardId")) {
        return apiError(ErrorType::kInvalidArgument,
                        "ShardId must be provided with the AFTER_SHARD_ID shard filter.");
      }
      after = std::max(after, filter["ShardId"].get<std::string>());
    } else if (type == "AT_LATEST") {
      openOnly = true;
    } else if (type == "AT_TIMESTAMP" || type == "FROM_TIMESTAMP") {
      if (!filter.contains("Timestamp")) {
        return apiError(ErrorType::kInvalidArgument,
                        "Timestamp must be provided with the " + type + " shard filter.");
      }
      // Without resharding every shard is open from the stream's creation on.
    }
  }

  Json shards = Json::array();
  bool more = false;
  std::string last;
  for (const auto& shard : meta->shards) {
    const auto id = streams::shardIdName(shard.index);
    if (!after.empty() && id <= after) continue;
    if (openOnly && !shard.open()) continue;
    if (static_cast<int>(shards.size()) == limit) {
      more = true;
      break;
    }
    shards.push_back(shardJson(shard));
    last = id;
  }
  Json out{{"Shards", std::move(shards)}};
  if (more) {
    PageToken token;
    token.kind = "shards";
    token.stream = meta->name;
    token.streamCreated = meta->creationTimeMs;
    token.after = last;
    token.issuedMs = services.clock->nowMillis();
    out["NextToken"] = encodePageToken(token);
  }
  return out;
}

}  // namespace

void listShards(ActionCall call) {
  runOnControl(std::move(call), &listShards);
}

}  // namespace kbridge::kinesis::actions
