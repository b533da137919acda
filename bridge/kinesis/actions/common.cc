#include "kinesis/actions/common.h"

#include <cctype>

#include "kinesis/kafka_error_mapping.h"
#include "streams/catalog.h"
#include "streams/shard_limits.h"

namespace kbridge::kinesis::actions {

using streams::StreamMeta;

std::string streamArn(const std::string& name, const config::Config& config) {
  return "arn:aws:kinesis:" + config.kinesis.region + ":" + config.kinesis.accountId + ":stream/" +
         name;
}

ApiError streamNotFound(const std::string& name, const config::Config& config) {
  return {ErrorType::kResourceNotFound,
          "Stream " + name + " under account " + config.kinesis.accountId + " not found."};
}

ApiError shardThrottled(const std::string& stream, std::uint32_t shard,
                        const config::Config& config) {
  return {ErrorType::kProvisionedThroughputExceeded,
          "Rate exceeded for shard " + streams::shardIdName(shard) + " in stream " + stream +
              " under account " + config.kinesis.accountId + "."};
}

ApiResult<std::string> streamNameOf(const Json& input, const Services& services) {
  const auto& config = *services.config;
  std::optional<std::string> fromName;
  std::optional<std::string> fromArn;
  if (auto it = input.find("StreamName"); it != input.end()) fromName = it->get<std::string>();
  if (auto it = input.find("StreamARN"); it != input.end()) {
    // arn:aws:kinesis:<region>:<account>:stream/<name> (the shape's pattern already held)
    const auto arn = it->get<std::string>();
    std::vector<std::string> parts;
    size_t start = 0;
    for (int i = 0; i < 5; ++i) {
      auto colon = arn.find(':', start);
      if (colon == std::string::npos) break;
      parts.push_back(arn.substr(start, colon - start));
      start = colon + 1;
    }
    const std::string resource = arn.substr(start);
    if (parts.size() != 5 || resource.rfind("stream/", 0) != 0) {
      return apiError(ErrorType::kInvalidArgument, "Invalid StreamARN " + arn + ".");
    }
    const std::string name = resource.substr(7);
    if (parts[1] != "aws" || parts[3] != config.kinesis.region ||
        parts[4] != config.kinesis.accountId) {
      return fail(streamNotFound(name, config));
    }
    fromArn = name;
  }
  if (fromName && fromArn && *fromName != *fromArn) {
    return apiError(ErrorType::kInvalidArgument, "StreamARN " + streamArn(*fromArn, config) +
                                                     " and StreamName " + *fromName +
                                                     " refer to different streams.");
  }
  if (fromName) return *fromName;
  if (fromArn) return *fromArn;
  return apiError(
      ErrorType::kValidation,
      validationMessage({constraintFailure("null", "streamName", "Member must not be null")}));
}

ApiResult<StreamMeta> loadStream(const std::string& name, Services& services) {
  if (auto synced = services.catalog->sync(); !synced) return fail(toApiError(synced.error()));
  auto meta = services.catalog->find(name);
  if (!meta) return fail(streamNotFound(name, *services.config));
  return std::move(*meta);
}

ApiStatus checkOnDemandStreamLimit(const std::vector<StreamMeta>& streams,
                                   const config::Config& config) {
  int onDemandStreams = 0;
  for (const auto& s : streams) {
    onDemandStreams += s.mode == streams::StreamMode::kOnDemand ? 1 : 0;
  }
  if (onDemandStreams + 1 <= config.streams.onDemandStreamLimit) return {};
  return apiError(ErrorType::kLimitExceeded,
                  "This request would exceed the on-demand stream limit for the account " +
                      config.kinesis.accountId + " in " + config.kinesis.region +
                      ". Current on-demand stream count: " + std::to_string(onDemandStreams) +
                      ". Limit: " + std::to_string(config.streams.onDemandStreamLimit) + ".");
}

ApiStatus refuseAdopted(const StreamMeta& meta, const Services& services, const std::string& what) {
  if (!meta.adopted) return {};
  return apiError(ErrorType::kResourceInUse,
                  "Stream " + meta.name + " under account " + services.config->kinesis.accountId +
                      " is the Kafka topic " + meta.topic +
                      " adopted through streams.adopt: kbridge does not " + what +
                      " it. Change it in Kafka, or remove it from streams.adopt.");
}

ApiStatus requireActive(const StreamMeta& meta, const Services& services) {
  if (meta.status == streams::StreamStatus::kActive) return {};
  return apiError(ErrorType::kResourceInUse,
                  "Stream " + meta.name + " under account " + services.config->kinesis.accountId +
                      " not ACTIVE, instead in state " + std::string(statusName(meta.status)));
}

bool isDryRun(const Json& input) {
  auto it = input.find("DryRun");
  return it != input.end() && it->is_boolean() && it->get<bool>();
}

ApiError dryRunPassed(const std::string& stream, Services& services) {
  if (services.limits && !services.limits->tryDryRun(stream)) {
    return {ErrorType::kThrottling, "Rate exceeded for DryRun requests on stream " + stream +
                                        " under account " + services.config->kinesis.accountId +
                                        "."};
  }
  return {ErrorType::kDryRunOperation, "Request would have succeeded, but DryRun flag is set."};
}

Json shardJson(const streams::ShardMeta& shard) {
  Json j{{"ShardId", streams::shardIdName(shard.index)},
         {"HashKeyRange",
          {{"StartingHashKey", streams::toDecimal(shard.hashKeyRange.start)},
           {"EndingHashKey", streams::toDecimal(shard.hashKeyRange.end)}}},
         {"SequenceNumberRange", {{"StartingSequenceNumber", shard.startingSequenceNumber}}}};
  if (shard.parent) j["ParentShardId"] = streams::shardIdName(*shard.parent);
  if (shard.adjacentParent)
    j["AdjacentParentShardId"] = streams::shardIdName(*shard.adjacentParent);
  if (shard.endingSequenceNumber) {
    j["SequenceNumberRange"]["EndingSequenceNumber"] = *shard.endingSequenceNumber;
  }
  return j;
}

Json modeDetailsJson(const StreamMeta& meta) {
  return Json{{"StreamMode", streams::modeName(meta.mode)}};
}

Json enhancedMonitoringJson(const StreamMeta& meta) {
  return Json::array({Json{{"ShardLevelMetrics", meta.shardLevelMetrics}}});
}

std::string encodePageToken(const PageToken& token) {
  Json j{{"k", token.kind},
         {"s", token.stream},
         {"c", token.streamCreated},
         {"a", token.after},
         {"t", token.issuedMs}};
  return base64Encode(j.dump());
}

ApiResult<PageToken> decodePageToken(const std::string& text, std::string_view kind,
                                     std::int64_t nowMs) {
  auto invalid = [] { return apiError(ErrorType::kInvalidArgument, "Invalid NextToken."); };
  auto raw = base64Decode(text);
  if (!raw) return invalid();
  Json j = Json::parse(*raw, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid();
  PageToken t;
  try {
    t.kind = j.at("k").get<std::string>();
    t.stream = j.at("s").get<std::string>();
    t.streamCreated = j.at("c").get<std::int64_t>();
    t.after = j.at("a").get<std::string>();
    t.issuedMs = j.at("t").get<std::int64_t>();
  } catch (const Json::exception&) {
    return invalid();
  }
  if (t.kind != kind) return invalid();
  if (nowMs - t.issuedMs > 300'000) {
    return apiError(ErrorType::kExpiredNextToken, "The NextToken has expired.");
  }
  return t;
}

namespace {

// Decodes one UTF-8 code point at s[i], advancing i; returns -1 on malformed input.
long nextCodePoint(const std::string& s, size_t& i) {
  const auto c = static_cast<unsigned char>(s[i++]);
  if (c < 0x80) return c;
  int extra = 0;
  long cp = 0;
  if ((c & 0xE0) == 0xC0) {
    extra = 1;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    extra = 2;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    extra = 3;
    cp = c & 0x07;
  } else {
    return -1;
  }
  for (int k = 0; k < extra; ++k) {
    if (i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (static_cast<unsigned char>(s[i++]) & 0x3F);
  }
  return cp;
}

bool allowedTagCodePoint(long cp) {
  if (cp < 0) return false;
  if (cp < 0x80) {
    char c = static_cast<char>(cp);
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/' ||
           c == '-' || c == '=' || c == '+' || c == ' ' || c == '@' || c == '%';
  }
  return (cp >= 0xC0 && cp <= 0x1FFF) || (cp >= 0x2C00 && cp <= 0xD7FF);
}

}  // namespace

ApiStatus checkTagCount(const std::string& stream, size_t count, const config::Config& config) {
  constexpr size_t kMaxTagsPerStream = 50;
  if (count <= kMaxTagsPerStream) return {};
  return apiError(ErrorType::kInvalidArgument,
                  "Failed to add tags to stream " + stream + " under account " +
                      config.kinesis.accountId +
                      " because a given stream cannot have more than 50 tags associated with it.");
}

ApiStatus checkTagCharacters(const std::string& stream, const std::vector<std::string>& strings,
                             const config::Config& config, bool removing) {
  bool percent = false;
  for (const auto& s : strings) {
    for (size_t i = 0; i < s.size();) {
      long cp = nextCodePoint(s, i);
      if (!allowedTagCodePoint(cp)) {
        return apiError(ErrorType::kInvalidArgument,
                        "Some tags contain invalid characters. Valid characters: Unicode letters, "
                        "digits, white space, _ . / = + - % @.");
      }
      percent = percent || cp == '%';
    }
  }
  if (percent) {
    return apiError(ErrorType::kInvalidArgument,
                    std::string(removing ? "Failed to remove tags from stream "
                                         : "Failed to add tags to stream ") +
                        stream + " under account " + config.kinesis.accountId +
                        " because some tags contained illegal characters. The allowed characters "
                        "are Unicode letters, white-spaces, '_',',','/','=','+','-','@'.");
  }
  return {};
}

}  // namespace kbridge::kinesis::actions
