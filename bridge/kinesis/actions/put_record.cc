// PutRecord: one record into the shard its hash key selects. The answer is sent from the delivery
// report, after every in-sync replica has the record (acks=all): an acknowledged PutRecord is never
// lost, and a failed one is never reported as a success.

#include "kafka/producer.h"
#include "kinesis/actions/actions.h"
#include "kinesis/actions/common.h"
#include "kinesis/actions/records.h"
#include "streams/sequence_number.h"

namespace kbridge::kinesis::actions {

void putRecord(ActionCall request) {
  auto name = streamNameOf(request.input, *request.services);
  if (!name) return request.reply(fail(name.error()));
  if (auto it = request.input.find("SequenceNumberForOrdering"); it != request.input.end()) {
    // Kafka keeps per-partition order by itself; the number only has to be one of ours.
    // ... and must not come from the future (a generation is a creation time in ms).
    auto seq = streams::SequenceNumber::parse(it->get<std::string>());
    if (!seq || static_cast<std::int64_t>(seq->generation) > request.services->clock->nowMillis()) {
      return request.reply(
          apiError(ErrorType::kInvalidArgument,
                   "ExclusiveMinimumSequenceNumber " + it->get<std::string>() +
                       " used in PutRecord on stream " + *name + " under account " +
                       request.services->config->kinesis.accountId + " is invalid."));
    }
  }
  withWritableStream(std::move(request), *name, [](ActionCall call, streams::StreamMeta stream) {
    auto record = recordFor(stream, call.input);
    if (!record) return call.reply(fail(record.error()));
    const auto shard = static_cast<std::uint32_t>(record->partition);
    std::vector<kafka::OutgoingRecord> batch;
    batch.push_back(std::move(*record));
    Services* services = call.services;
    auto reply = std::move(call.reply);
    services->producer->produce(
        std::move(batch), [reply = std::move(reply), stream = std::move(stream), shard,
                           services](std::vector<kafka::DeliveryResult> results) {
          const auto& result = results.at(0);
          if (result.error) {
            return reply(fail(deliveryError(*result.error, stream, shard, *services->config)));
          }
          streams::SequenceNumber seq{stream.generation, shard,
                                      static_cast<std::uint64_t>(result.offset)};
          reply(Json{{"ShardId", streams::shardIdName(shard)},
                     {"SequenceNumber", seq.toString()},
                     {"EncryptionType", "NONE"}});
        });
  });
}

}  // namespace kbridge::kinesis::actions
