// PutRecords: up to 500 records, routed independently. Each record succeeds or fails on its own
// (ErrorCode/ErrorMessage per record, FailedRecordCount), and the answer is sent when Kafka has
// answered for every record, so no record is reported written before all replicas have it.
// A record that its shard's write limit refuses (optional per-shard limits) is not produced and
// answers ProvisionedThroughputExceededException, as in Kinesis; the others may succeed.
// With DryRun, every record is routed and nothing is produced (DryRunOperationException).

#include "kafka/producer.h"
#include "kinesis/actions/actions.h"
#include "kinesis/actions/common.h"
#include "kinesis/actions/records.h"
#include "kinesis/actions/records_json.h"

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
void putRecordsOf(ActionCall request, std::string name, std::vector<RecordInput> records,
                  bool dryRun) {
  size_t total = 0;
  for (const auto& r : records) total += r.partitionKey.size() + r.data.size();
  if (total > kMaxRequestBytes) {
    return request.reply(apiError(ErrorType::kInvalidArgument, "Records size exceeds 5 MB limit"));
  }
  withWritableStream(
      std::move(request), name,
      [records = std::move(records), dryRun](ActionCall call, streams::StreamMeta stream) mutable {
        if (dryRun) {
          auto routed = checkRoutes(stream, records);
          return call.reply(
              fail(routed ? dryRunPassed(stream.name, *call.services) : routed.error()));
        }
        produceRecords(*call.services, std::move(stream), std::move(records),
                       [reply = std::move(call.reply), replyEncoded = std::move(call.replyEncoded),
                        format = call.format](ApiResult<std::vector<RecordOutcome>> outcomes) {
                         if (!outcomes) return reply(fail(outcomes.error()));
                         std::vector<PutRecordsResultEntry> entries(outcomes->size());
                         int failed = 0;
                         for (std::size_t i = 0; i < entries.size(); ++i) {
                           auto& outcome = (*outcomes)[i];
                           entries[i].shard = outcome.shard;
                           if (outcome.error) {
                             failEntry(entries[i], *outcome.error);
                             ++failed;
                           } else {
                             entries[i].sequenceNumber = std::move(outcome.sequenceNumber);
                           }
                         }
                         if (format == WireFormat::kJson && replyEncoded) {
                           return replyEncoded(putRecordsResponseJson(entries, failed));
                         }
                         reply(responseTree(entries, failed));
                       });
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
  const bool dryRun = isDryRun(request.input);
  putRecordsOf(std::move(request), std::move(*name), std::move(records), dryRun);
}

bool putRecordsJson(std::string_view body, ActionCall& call) {
  auto input = readPutRecordsJson(body);
  if (!input) return false;
  putRecordsOf(std::move(call), std::move(input->streamName), std::move(input->records),
               /*dryRun=*/false);
  return true;
}

}  // namespace kbridge::kinesis::actions
