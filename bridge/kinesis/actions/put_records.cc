// PutRecords: up to 500 records, routed independently. Each record succeeds or fails on its own
// (ErrorCode/ErrorMessage per record, FailedRecordCount), and the answer is sent when Kafka has
// answered for every record, so no record is reported written before all replicas have it.
// A record that its shard's write limit refuses (optional per-shard limits) is not produced and
// answers ProvisionedThroughputExceededException, as in Kinesis; the others may succeed.

#include "kafka/producer.h"
#include "kinesis/actions/actions.h"
#include "kinesis/actions/common.h"
#include "kinesis/actions/records.h"
#include "kinesis/actions/records_json.h"
#include "streams/sequence_number.h"

namespace kbridge::kinesis::actions {

namespace {

constexpr size_t kMaxRequestBytes = 5 * 1024 * 1024;  // data and partition keys of all records

Json responseTree(std::vector<PutRecordsResultEntry>& entries, int failed) {
  Json out = Json::array();
  for (auto& e : entries) {
    if (!e.errorCode.empty()) {
      out.push_back({{"ErrorCode", e.errorCode}, {"ErrorMessage", std::move(e.errorMessage)}});
    } else {
      out.push_back({{"SequenceNumber", std::move(e.sequenceNumber)},
                     {"ShardId", streams::shardIdName(e.shard)}});
    }
  }
  return Json{
      {"FailedRecordCount", failed}, {"Records", std::move(out)}, {"EncryptionType", "NONE"}};
}

void failEntry(PutRecordsResultEntry& entry, const ApiError& error) {
  // Kinesis reports per-record failures only as throttling or InternalFailure.
  entry.errorCode = error.type == ErrorType::kProvisionedThroughputExceeded
                        ? errorTypeName(error.type)
                        : errorTypeName(ErrorType::kInternalFailure);
  entry.errorMessage = error.message;
}

// The action once its input is read, by either reader.
void putRecordsOf(ActionCall request, std::string name, std::vector<RecordInput> records) {
  size_t total = 0;
  for (const auto& r : records) total += r.partitionKey.size() + r.data.size();
  if (total > kMaxRequestBytes) {
    return request.reply(apiError(ErrorType::kInvalidArgument, "Records size exceeds 5 MB limit"));
  }
  withWritableStream(
      std::move(request), name,
      [records = std::move(records)](ActionCall call, streams::StreamMeta stream) mutable {
        Services* services = call.services;
        std::vector<kafka::OutgoingRecord> routed;
        routed.reserve(records.size());
        for (auto& input : records) {
          auto record = recordFor(stream, input);
          // A bad ExplicitHashKey fails the whole request, as in Kinesis.
          if (!record) return call.reply(fail(record.error()));
          routed.push_back(std::move(*record));
        }
        auto entries = std::make_shared<std::vector<PutRecordsResultEntry>>(routed.size());
        std::vector<kafka::OutgoingRecord> batch;
        std::vector<std::size_t> produced;  // entry index of each record in `batch`
        batch.reserve(routed.size());
        produced.reserve(routed.size());
        for (std::size_t i = 0; i < routed.size(); ++i) {
          auto& record = routed[i];
          const auto shard = static_cast<std::uint32_t>(record.partition);
          (*entries)[i].shard = shard;
          if (!admitWrite(*services, stream.name, shard, record.key.size() + record.value.size())) {
            failEntry((*entries)[i], shardThrottled(stream.name, shard, *services->config));
            continue;
          }
          produced.push_back(i);
          batch.push_back(std::move(record));
        }
        auto finish = [reply = std::move(call.reply), replyEncoded = std::move(call.replyEncoded),
                       format = call.format, entries, stream = std::move(stream),
                       produced = std::move(produced),
                       services](std::vector<kafka::DeliveryResult> results) {
          for (std::size_t k = 0; k < results.size(); ++k) {
            auto& entry = (*entries)[produced[k]];
            if (results[k].error) {
              failEntry(entry,
                        deliveryError(*results[k].error, stream, entry.shard, *services->config));
              continue;
            }
            entry.sequenceNumber =
                streams::SequenceNumber{stream.generation, entry.shard,
                                        static_cast<std::uint64_t>(results[k].offset)}
                    .toString();
          }
          int failed = 0;
          for (const auto& e : *entries) failed += e.errorCode.empty() ? 0 : 1;
          if (format == WireFormat::kJson && replyEncoded) {
            return replyEncoded(putRecordsResponseJson(*entries, failed));
          }
          reply(responseTree(*entries, failed));
        };
        services->producer->produce(std::move(batch), std::move(finish));
      });
}

}  // namespace

void putRecords(ActionCall request) {
  auto name = streamNameOf(request.input, *request.services);
  if (!name) return request.reply(fail(name.error()));
  std::vector<RecordInput> records;
  auto& entries = request.input.at("Records");
  records.reserve(entries.size());
  for (auto& entry : entries) records.push_back(recordInputOf(entry));
  putRecordsOf(std::move(request), std::move(*name), std::move(records));
}

bool putRecordsJson(std::string_view body, ActionCall& call) {
  auto input = readPutRecordsJson(body);
  if (!input) return false;
  putRecordsOf(std::move(call), std::move(input->streamName), std::move(input->records));
  return true;
}

}  // namespace kbridge::kinesis::actions
