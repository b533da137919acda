// PutRecords: up to 500 records, routed independently. Each record succeeds or fails on its own
// (ErrorCode/ErrorMessage per record, FailedRecordCount), and the answer is sent when Kafka has
// answered for every record, so no record is reported written before all replicas have it.

#include "kafka/producer.h"
#include "kinesis/actions/actions.h"
#include "kinesis/actions/common.h"
#include "kinesis/actions/records.h"
#include "streams/sequence_number.h"

namespace kbridge::kinesis::actions {

namespace {

constexpr size_t kMaxRequestBytes = 5 * 1024 * 1024;  // data and partition keys of all records

}  // namespace

void putRecords(ActionCall request) {
  auto name = streamNameOf(request.input, *request.services);
  if (!name) return request.reply(fail(name.error()));
  size_t total = 0;
  for (const auto& r : request.input.at("Records")) {
    total += r.at("PartitionKey").get_ref<const std::string&>().size() +
             r.at("Data").get_binary().size();
  }
  if (total > kMaxRequestBytes) {
    return request.reply(apiError(ErrorType::kInvalidArgument, "Records size exceeds 5 MB limit"));
  }
  withWritableStream(std::move(request), *name, [](ActionCall call, streams::StreamMeta stream) {
    const auto& records = call.input.at("Records");
    std::vector<kafka::OutgoingRecord> batch;
    std::vector<std::uint32_t> shards;
    batch.reserve(records.size());
    shards.reserve(records.size());
    for (const auto& entry : records) {
      auto record = recordFor(stream, entry);
      // A bad ExplicitHashKey fails the whole request, as in Kinesis.
      if (!record) return call.reply(fail(record.error()));
      shards.push_back(static_cast<std::uint32_t>(record->partition));
      batch.push_back(std::move(*record));
    }
    Services* services = call.services;
    auto reply = std::move(call.reply);
    services->producer->produce(std::move(batch), [reply = std::move(reply),
                                                   stream = std::move(stream),
                                                   shards = std::move(shards), services](
                                                      std::vector<kafka::DeliveryResult> results) {
      Json out = Json::array();
      int failed = 0;
      for (size_t i = 0; i < results.size(); ++i) {
        if (results[i].error) {
          ++failed;
          auto e = deliveryError(*results[i].error, stream, shards[i], *services->config);
          // Kinesis reports per-record failures only as throttling or InternalFailure.
          const auto code = e.type == ErrorType::kProvisionedThroughputExceeded
                                ? errorTypeName(e.type)
                                : errorTypeName(ErrorType::kInternalFailure);
          out.push_back({{"ErrorCode", code}, {"ErrorMessage", e.message}});
          continue;
        }
        streams::SequenceNumber seq{stream.generation, shards[i],
                                    static_cast<std::uint64_t>(results[i].offset)};
        out.push_back(
            {{"SequenceNumber", seq.toString()}, {"ShardId", streams::shardIdName(shards[i])}});
      }
      reply(Json{
          {"FailedRecordCount", failed}, {"Records", std::move(out)}, {"EncryptionType", "NONE"}});
    });
  });
}

}  // namespace kbridge::kinesis::actions
