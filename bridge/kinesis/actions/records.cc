#include "kinesis/actions/records.h"

#include <algorithm>

#include "kinesis/actions/common.h"
#include "kinesis/kafka_error_mapping.h"
#include "streams/catalog.h"
#include "streams/routing.h"
#include "streams/sequence_number.h"
#include "streams/shard_limits.h"

namespace kbridge::kinesis::actions {

namespace {

bool writable(const streams::StreamMeta& meta) {
  return meta.status == streams::StreamStatus::kActive ||
         meta.status == streams::StreamStatus::kUpdating;
}

}  // namespace

void withWritableStream(ActionCall call, const std::string& name,
                        std::function<void(ActionCall, streams::StreamMeta)> then) {
  if (auto meta = call.services->catalog->find(name); meta && writable(*meta)) {
    return then(std::move(call), std::move(*meta));
  }
  Executor* control = call.services->control;
  control->post([call = std::move(call), name, then = std::move(then)]() mutable {
    auto meta = loadStream(name, *call.services);
    if (!meta) return call.reply(fail(meta.error()));
    if (!writable(*meta)) return call.reply(fail(streamNotFound(name, *call.services->config)));
    then(std::move(call), std::move(*meta));
  });
}

namespace {

ApiResult<std::uint32_t> routeRecord(const streams::StreamMeta& stream,
                                     const std::string& partitionKey,
                                     const std::optional<std::string>& explicitHashKey) {
  streams::uint128 hashKey = 0;
  if (explicitHashKey) {
    auto parsed = streams::parseDecimal(*explicitHashKey);
    if (!parsed) {
      return apiError(
          ErrorType::kInvalidArgument,
          "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
          "Specified value was " +
              *explicitHashKey);
    }
    hashKey = *parsed;
  }
  auto shard = explicitHashKey ? streams::shardForHashKey(stream, hashKey)
                               : streams::shardForPartitionKey(stream, partitionKey);
  if (!shard) {
    if (!explicitHashKey) hashKey = streams::partitionKeyHash(partitionKey);
    return apiError(ErrorType::kInternalFailure, "No open shard of stream " + stream.name +
                                                     " covers hash key " +
                                                     streams::toDecimal(hashKey) + ".");
  }
  return *shard;
}

}  // namespace

RecordInput recordInputOf(Json& entry) {
  RecordInput input;
  input.partitionKey = std::move(entry.at("PartitionKey").get_ref<std::string&>());
  if (auto it = entry.find("ExplicitHashKey"); it != entry.end()) {
    input.explicitHashKey = std::move(it->get_ref<std::string&>());
  }
  const auto& data = entry.at("Data").get_binary();
  input.data.assign(data.begin(), data.end());
  return input;
}

ApiResult<kafka::OutgoingRecord> recordFor(const streams::StreamMeta& stream, RecordInput& input) {
  auto shard = routeRecord(stream, input.partitionKey, input.explicitHashKey);
  if (!shard) return fail(shard.error());
  kafka::OutgoingRecord record;
  record.topic = stream.topic;
  record.partition = static_cast<std::int32_t>(*shard);
  record.key = std::move(input.partitionKey);
  record.value = std::move(input.data);
  record.explicitHashKey = std::move(input.explicitHashKey);
  return record;
}

ApiStatus checkRoutes(const streams::StreamMeta& stream, const std::vector<RecordInput>& records) {
  for (const auto& input : records) {
    auto shard = routeRecord(stream, input.partitionKey, input.explicitHashKey);
    if (!shard) return fail(shard.error());
  }
  return {};
}

bool admitWrite(const Services& services, const std::string& stream, std::uint32_t shard,
                std::size_t bytes) {
  return services.limits == nullptr || services.limits->tryWrite(stream, shard, bytes);
}

ApiError deliveryError(const kafka::KafkaError& error, const streams::StreamMeta& stream,
                       std::uint32_t shard, const config::Config& config) {
  if (error.kind == kafka::KafkaErrorKind::kQueueFull) {
    return shardThrottled(stream.name, shard, config);
  }
  return toApiError(error);
}

void produceRecords(Services& services, streams::StreamMeta stream,
                    std::vector<RecordInput> records,
                    std::function<void(ApiResult<std::vector<RecordOutcome>>)> done) {
  std::vector<kafka::OutgoingRecord> routed;
  routed.reserve(records.size());
  for (auto& input : records) {
    auto record = recordFor(stream, input);
    if (!record) return done(fail(record.error()));
    routed.push_back(std::move(*record));
  }
  std::vector<RecordOutcome> outcomes(routed.size());
  std::vector<kafka::OutgoingRecord> batch;
  std::vector<std::size_t> produced;  // outcome index of each record in `batch`
  batch.reserve(routed.size());
  produced.reserve(routed.size());
  for (std::size_t i = 0; i < routed.size(); ++i) {
    auto& record = routed[i];
    const auto shard = static_cast<std::uint32_t>(record.partition);
    outcomes[i].shard = shard;
    if (!admitWrite(services, stream.name, shard, record.key.size() + record.value.size())) {
      outcomes[i].error = shardThrottled(stream.name, shard, *services.config);
      continue;
    }
    produced.push_back(i);
    batch.push_back(std::move(record));
  }
  if (batch.empty()) return done(std::move(outcomes));
  auto finish = [outcomes = std::move(outcomes), produced = std::move(produced),
                 stream = std::move(stream), config = services.config,
                 done = std::move(done)](std::vector<kafka::DeliveryResult> results) mutable {
    // One writer per shard of the request (few): a shard's records got consecutive offsets.
    std::vector<streams::SequenceText> sequences;
    for (std::size_t k = 0; k < results.size() && k < produced.size(); ++k) {
      auto& outcome = outcomes[produced[k]];
      if (results[k].error) {
        outcome.error = deliveryError(*results[k].error, stream, outcome.shard, *config);
        continue;
      }
      auto writer = std::find_if(sequences.begin(), sequences.end(),
                                 [&](const auto& w) { return w.shard() == outcome.shard; });
      if (writer == sequences.end()) {
        writer = sequences.emplace(sequences.end(), stream.generation, outcome.shard);
      }
      outcome.sequenceNumber = writer->of(static_cast<std::uint64_t>(results[k].offset));
    }
    done(std::move(outcomes));
  };
  services.producer->produce(std::move(batch), std::move(finish));
}

}  // namespace kbridge::kinesis::actions
