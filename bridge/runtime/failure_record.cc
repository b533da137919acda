#include "runtime/failure_record.h"

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <random>

#include "kinesis/codec.h"

namespace kbridge::runtime {
namespace {

std::string randomUuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::uint64_t a = rng(), b = rng();
  char out[37];
  std::snprintf(out, sizeof out, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(((b >> 48) & 0x3fff) | 0x8000),
                static_cast<unsigned long long>(b & 0xffffffffffffull));
  return out;
}

}  // namespace

std::string isoMillis(std::int64_t epochMs) {
  const std::time_t seconds = static_cast<std::time_t>(epochMs / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[64];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(epochMs % 1000));
  return out;
}

std::string failureRecordJson(const HandlerContext& context, std::string_view shardId,
                              const PipelineTask& task, bool includeRecords, std::int64_t nowMs) {
  using Json = nlohmann::ordered_json;
  const auto& first = task.records.front();
  const auto& last = task.records.back();
  Json doc;
  doc["requestContext"] = {{"requestId", randomUuid()},
                           {"eventSourceMapping", context.mappingName},
                           {"condition", discardReasonName(task.reason)},
                           {"approximateInvokeCount", task.invokeCount}};
  if (!task.lastError.empty()) {
    doc["responseContext"] = {{"functionError", "Unhandled"}, {"errorMessage", task.lastError}};
  }
  doc["version"] = "1.0";
  doc["timestamp"] = isoMillis(nowMs);
  doc["KinesisBatchInfo"] = {{"shardId", shardId},
                             {"startSequenceNumber", first.sequenceNumber},
                             {"endSequenceNumber", last.sequenceNumber},
                             {"approximateArrivalOfFirstRecord", isoMillis(first.arrivalMs)},
                             {"approximateArrivalOfLastRecord", isoMillis(last.arrivalMs)},
                             {"batchSize", task.records.size()},
                             {"streamArn", context.streamArn}};
  if (includeRecords) {
    Json records = Json::array();
    for (const auto& r : task.records) {
      records.push_back(
          {{"kinesis",
            {{"kinesisSchemaVersion", "1.0"},
             {"partitionKey", r.partitionKey},
             {"sequenceNumber", r.sequenceNumber},
             {"data", kinesis::base64Encode(r.data)},
             {"approximateArrivalTimestamp", static_cast<double>(r.arrivalMs) / 1000.0}}},
           {"eventSource", "aws:kinesis"},
           {"eventID", std::string(shardId) + ":" + r.sequenceNumber},
           {"eventSourceARN", context.streamArn},
           {"awsRegion", context.region}});
    }
    doc["Records"] = std::move(records);
  }
  // Keys and error texts need not be UTF-8 (a Kafka producer may have written the key).
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace kbridge::runtime
