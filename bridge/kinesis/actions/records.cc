#include "kinesis/actions/records.h"

#include "kinesis/actions/common.h"
#include "kinesis/kafka_error_mapping.h"
#include "streams/catalog.h"
#include "streams/routing.h"

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
  } else {
    hashKey = streams::partitionKeyHash(partitionKey);
  }
  auto shard = streams::shardForHashKey(stream, hashKey);
  if (!shard) {
    return apiError(ErrorType::kInternalFailure, "No open shard of stream " + stream.name +
                                                     " covers hash key " +
                                                     streams::toDecimal(hashKey) + ".");
  }
  return *shard;
}

}  // namespace

ApiResult<kafka::OutgoingRecord> recordFor(const streams::StreamMeta& stream, const Json& entry) {
  kafka::OutgoingRecord record;
  record.topic = stream.topic;
  record.key = entry.at("PartitionKey").get<std::string>();
  if (auto it = entry.find("ExplicitHashKey"); it != entry.end()) {
    record.explicitHashKey = it->get<std::string>();
  }
  auto shard = routeRecord(stream, record.key, record.explicitHashKey);
  if (!shard) return fail(shard.error());
  record.partition = static_cast<std::int32_t>(*shard);
  const auto& data = entry.at("Data").get_binary();
  record.value.assign(data.begin(), data.end());
  return record;
}

ApiError deliveryError(const kafka::KafkaError& error, const streams::StreamMeta& stream,
                       std::uint32_t shard, const config::Config& config) {
  if (error.kind == kafka::KafkaErrorKind::kQueueFull) {
    return {ErrorType::kProvisionedThroughputExceeded,
            "Rate exceeded for shard " + streams::shardIdName(shard) + " in stream " + stream.name +
                " under account " + config.kinesis.accountId + "."};
  }
  return toApiError(error);
}

}  // namespace kbridge::kinesis::actions
