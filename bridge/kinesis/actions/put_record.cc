// PutRecord: one record into the shard its hash key selects. The answer is sent from the delivery
// report, after every in-sync replica has the record (acks=all): an acknowledged PutRecord is never
// lost, and a failed one is never reported as a success. A record that its shard's write limit
// refuses (optional per-shard limits) is not produced: ProvisionedThroughputExceededException.
// With DryRun, every check runs and nothing is produced (DryRunOperationException).

#include "kafka/producer.h"
#include "kinesis/actions/actions.h"
#include "kinesis/actions/common.h"
#include "kinesis/actions/records.h"
#include "kinesis/actions/records_json.h"
#include "streams/sequence_number.h"

namespace kbridge::kinesis::actions {

namespace {

// The action once its input is read, by either reader.
void putRecordOf(ActionCall request, std::string name, RecordInput input,
                 const std::optional<std::string>& sequenceNumberForOrdering, bool dryRun) {
  if (sequenceNumberForOrdering) {
    // Kafka keeps per-partition order by itself; the number only has to be one of ours.
    // ... and must not come from the future (a generation is a creation time in ms).
    auto seq = streams::SequenceNumber::parse(*sequenceNumberForOrdering);
    if (!seq || static_cast<std::int64_t>(seq->generation) > request.services->clock->nowMillis()) {
      return request.reply(apiError(ErrorType::kInvalidArgument,
                                    "ExclusiveMinimumSequenceNumber " + *sequenceNumberForOrdering +
                                        " used in PutRecord on stream " + name + " under account " +
                                        request.services->config->kinesis.accountId +
                                        " is invalid."));
    }
  }
  withWritableStream(
      std::move(request), name,
      [input = std::move(input), dryRun](ActionCall call, streams::StreamMeta stream) mutable {
        auto record = recordFor(stream, input);
        if (!record) return call.reply(fail(record.error()));
        if (dryRun) return call.reply(fail(dryRunPassed(stream.name, *call.services)));
        const auto shard = static_cast<std::uint32_t>(record->partition);
        Services* services = call.services;
        if (!admitWrite(*services, stream.name, shard, record->key.size() + record->value.size())) {
          return call.reply(fail(shardThrottled(stream.name, shard, *services->config)));
        }
        std::vector<kafka::OutgoingRecord> batch;
        batch.push_back(std::move(*record));
        services->producer->produce(
            std::move(batch),
            [reply = std::move(call.reply), replyEncoded = std::move(call.replyEncoded),
             format = call.format, stream = std::move(stream), shard,
             services](std::vector<kafka::DeliveryResult> results) {
              const auto& result = results.at(0);
              if (result.error) {
                return reply(fail(deliveryError(*result.error, stream, shard, *services->config)));
              }
              const std::string seq =
                  streams::SequenceNumber{stream.generation, shard,
                                          static_cast<std::uint64_t>(result.offset)}
                      .toString();
              if (format == WireFormat::kJson && replyEncoded) {
                return replyEncoded(putRecordResponseJson(shard, seq));
              }
              reply(Json{{"ShardId", streams::shardIdName(shard)},
                         {"SequenceNumber", seq},
                         {"EncryptionType", "NONE"}});
            });
      });
}

}  // namespace

void putRecord(ActionCall request) {
  auto name = streamNameOf(request.input, *request.services);
  if (!name) return request.reply(fail(name.error()));
  std::optional<std::string> sequenceNumberForOrdering;
  if (auto it = request.input.find("SequenceNumberForOrdering"); it != request.input.end()) {
    sequenceNumberForOrdering = it->get<std::string>();
  }
  const bool dryRun = isDryRun(request.input);
  RecordInput input = recordInputOf(request.input);
  putRecordOf(std::move(request), std::move(*name), std::move(input), sequenceNumberForOrdering,
              dryRun);
}

bool putRecordJson(std::string_view body, ActionCall& call) {
  auto input = readPutRecordJson(body);
  if (!input) return false;
  putRecordOf(std::move(call), std::move(input->streamName), std::move(input->record),
              input->sequenceNumberForOrdering, /*dryRun=*/false);
  return true;
}

}  // namespace kbridge::kinesis::actions
