// GetShardIterator: an authenticated token naming (stream, generation, shard, next offset).
// TRIM_HORIZON is resolved when read (the oldest record still retained then); LATEST, AT_TIMESTAMP
// and the sequence-number types are resolved now. TRIM_HORIZON and the sequence-number types of a
// stream this instance knows are answered on the HTTP thread (no Kafka call, as GetRecords and
// PutRecord look streams up); LATEST and AT_TIMESTAMP ask Kafka, and a stream not known here yet
// is looked up in the catalog topic (made on another instance a moment ago), on the fetch executor.

#include <cstdio>
#include <optional>
#include <string_view>

#include "kafka/fetcher.h"
#include "kinesis/actions/actions.h"
#include "kinesis/actions/common.h"
#include "kinesis/kafka_error_mapping.h"
#include "streams/catalog.h"
#include "streams/sequence_number.h"
#include "streams/shard_iterator.h"

namespace kbridge::kinesis::actions {
namespace {

// Kinesis reads a shard id leniently: the digits after the first '-' (or the whole id when there
// is none), any number in [0, 2^31 - 1]; "shard-0", "0" and "shardId-5" all name a shard.
std::optional<std::uint64_t> resolveShardIndex(std::string_view id) {
  std::string_view digits = id;
  if (auto dash = id.find('-'); dash != std::string_view::npos) {
    auto rest = id.substr(dash + 1);
    auto segment = rest.substr(0, rest.find('-'));
    if (!segment.empty()) digits = segment;
  }
  if (digits.empty()) return std::nullopt;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  if (digits.size() > 10) return std::nullopt;
  const std::uint64_t value = std::stoull(std::string(digits));
  if (value > 2147483647) return std::nullopt;
  return value;
}

// With `needsKafka` set (not on the fetch executor): when the answer needs a Kafka call, sets
// *needsKafka and returns nothing of use.
ApiResult<Json> getShardIterator(const Json& input, Services& services,
                                 bool* needsKafka = nullptr) {
  auto defer = [needsKafka] {
    if (needsKafka == nullptr) return false;
    *needsKafka = true;
    return true;
  };
  const auto& config = *services.config;
  auto name = streamNameOf(input, services);
  if (!name) return fail(name.error());
  const std::string givenShardId = input.at("ShardId").get<std::string>();
  const std::string type = input.at("ShardIteratorType").get<std::string>();
  const std::string account = config.kinesis.accountId;
  auto index = resolveShardIndex(givenShardId);
  if (!index) {
    return apiError(ErrorType::kResourceNotFound, "Could not find shard " + givenShardId +
                                                      " in stream " + *name + " under account " +
                                                      account + ".");
  }
  char canonical[32];
  std::snprintf(canonical, sizeof canonical, "shardId-%012llu",
                static_cast<unsigned long long>(*index));
  const std::string shardId = canonical;
  const ApiError noShard{
      ErrorType::kResourceNotFound,
      "Shard " + shardId + " in stream " + *name + " under account " + account + " does not exist"};
  // On the HTTP thread the local catalog; on the fetch executor the catalog synced first (what
  // another instance changed a moment ago is seen).
  std::optional<streams::StreamMeta> meta;
  if (needsKafka != nullptr) meta = services.catalog->find(*name);
  if (!meta || *index >= meta->shards.size()) {
    if (defer()) return Json{};
    auto loaded = loadStream(*name, services);
    if (!loaded) {
      if (loaded.error().type == ErrorType::kResourceNotFound) return fail(noShard);
      return fail(loaded.error());
    }
    meta = std::move(*loaded);
  }
  if (*index >= meta->shards.size()) return fail(noShard);

  const bool bySequence = type == "AT_SEQUENCE_NUMBER" || type == "AFTER_SEQUENCE_NUMBER";
  const bool hasSequence = input.contains("StartingSequenceNumber");
  const std::string sequenceRule =
      "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
      "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
      "Request specified " +
      type;
  if (hasSequence && (type == "TRIM_HORIZON" || type == "LATEST")) {
    return apiError(ErrorType::kInvalidArgument,
                    sequenceRule + " and also a StartingSequenceNumber.");
  }
  if (bySequence && !hasSequence) {
    return apiError(ErrorType::kInvalidArgument, sequenceRule + " and no StartingSequenceNumber.");
  }

  streams::ShardIterator it;
  it.stream = meta->name;
  it.generation = meta->generation;
  it.shard = static_cast<std::uint32_t>(*index);
  it.issuedMs = services.clock->nowMillis();
  if (type == "TRIM_HORIZON") {
    it.offset = streams::kTrimHorizonOffset;
  } else if (type == "LATEST") {
    if (defer()) return Json{};
    auto marks = services.fetcher->watermarks(meta->topic, static_cast<std::int32_t>(*index));
    if (!marks) return fail(toApiError(marks.error()));
    it.offset = static_cast<std::uint64_t>(marks->high);
  } else if (type == "AT_TIMESTAMP") {
    if (!input.contains("Timestamp")) {
      return apiError(ErrorType::kInvalidArgument,
                      "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. "
                      "Current request has no timestamp parameter.");
    }
    const auto at = input["Timestamp"].get<std::int64_t>();
    if (at > it.issuedMs) {
      return apiError(ErrorType::kInvalidArgument,
                      "The timestampInMillis parameter cannot be greater than the "
                      "currentTimestampInMillis. timestampInMillis: " +
                          std::to_string(at) +
                          ", currentTimestampInMillis: " + std::to_string(it.issuedMs));
    }
    if (defer()) return Json{};
    auto offset =
        services.fetcher->offsetForTime(meta->topic, static_cast<std::int32_t>(*index), at);
    if (!offset) return fail(toApiError(offset.error()));
    it.offset = static_cast<std::uint64_t>(*offset);
  } else {
    const std::string text = input.at("StartingSequenceNumber").get<std::string>();
    const std::string invalid = "StartingSequenceNumber " + text +
                                " used in GetShardIterator on shard " + shardId + " in stream " +
                                *name + " under account " + account + " is invalid";
    auto seq = streams::SequenceNumber::parse(text);
    if (!seq) return apiError(ErrorType::kInvalidArgument, invalid + ".");
    if (seq->shard != *index) {
      return apiError(ErrorType::kInvalidArgument,
                      "Invalid StartingSequenceNumber. It encodes " +
                          streams::shardIdName(seq->shard) +
                          ", while it was used in a call to a shard with " + shardId);
    }
    if (seq->generation != meta->generation) {
      // The stream may have been made again on another instance a moment ago: ask the catalog.
      if (defer()) return Json{};
      return apiError(ErrorType::kInvalidArgument,
                      invalid + " because it did not come from this stream.");
    }
    it.offset = seq->offset + (type == "AFTER_SEQUENCE_NUMBER" ? 1 : 0);
  }
  if (isDryRun(input)) return fail(dryRunPassed(meta->name, services));
  return Json{
      {"ShardIterator", streams::encodeShardIterator(it, services.catalog->iteratorSecret())}};
}

}  // namespace

void getShardIterator(ActionCall call) {
  bool needsKafka = false;
  auto answer = getShardIterator(call.input, *call.services, &needsKafka);
  if (!needsKafka) return call.reply(std::move(answer));
  Executor* fetch = call.services->fetch;
  fetch->post([call = std::move(call)]() mutable {
    call.reply(getShardIterator(call.input, *call.services));
  });
}

}  // namespace kbridge::kinesis::actions
