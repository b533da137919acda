#include "api/ingest_route.h"

#include <spdlog/spdlog.h>

#include <random>

#include "kinesis/actions/common.h"
#include "kinesis/actions/records.h"
#include "streams/stream_meta.h"

namespace kbridge::api {
namespace {

using Json = nlohmann::json;
using kinesis::ApiError;
using kinesis::ErrorType;

std::string randomPartitionKey(std::int64_t nowMs) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string suffix;
  auto n = rng();
  for (int i = 0; i < 9; ++i, n /= 36) suffix.push_back(kDigits[n % 36]);
  return "partition-" + std::to_string(nowMs) + "-" + suffix;
}

std::size_t codePoints(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// 503 for what passes (Kafka down, throttling), 500 for the rest.
bool transient(ErrorType type) {
  return type == ErrorType::kServiceUnavailable ||
         type == ErrorType::kProvisionedThroughputExceeded || type == ErrorType::kLimitExceeded;
}

http::Response failure(const ApiError& error) {
  auto r = errorResponse(transient(error.type) ? 503 : 500, error.message);
  if (transient(error.type)) r.headers.emplace_back("Retry-After", "1");
  return r;
}

// `keys[i]` is the partition key of the record of `outcomes[i]`.
http::Response answer(std::vector<std::string>& keys,
                      std::vector<kinesis::actions::RecordOutcome>& outcomes) {
  Json records = Json::array();
  std::size_t failed = 0;
  bool anyTransient = false;
  std::string firstError;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    auto& e = outcomes[i];
    if (e.error) {
      ++failed;
      anyTransient = anyTransient || transient(e.error->type);
      if (firstError.empty()) firstError = e.error->message;
      records.push_back({{"partitionKey", std::move(keys[i])},
                         {"errorCode", kinesis::errorTypeName(e.error->type)},
                         {"errorMessage", e.error->message}});
    } else {
      records.push_back({{"sequenceNumber", std::move(e.sequenceNumber)},
                         {"shardId", streams::shardIdName(e.shard)},
                         {"partitionKey", std::move(keys[i])}});
    }
  }
  const std::size_t count = outcomes.size();
  Json body{{"count", count}, {"failedRecordCount", failed}, {"records", std::move(records)}};
  if (failed == 0) {
    body["message"] = "Ingested " + std::to_string(count) + (count == 1 ? " record" : " records");
    return jsonResponse(200, body);
  }
  body["message"] = std::to_string(failed) + " of " + std::to_string(count) +
                    " records were not written: " + firstError;
  auto r = jsonResponse(anyTransient ? 503 : 500, body);
  if (anyTransient) r.headers.emplace_back("Retry-After", "1");
  return r;
}

void ingest(kinesis::Services& services, const IngestOptions& options, ApiRequest request,
            http::Respond respond) {
  const auto& body = request.http.body;
  if (body.empty()) {
    return respond(errorResponse(400, "The request body is empty: send a JSON object or array."));
  }
  Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return respond(errorResponse(400, "The request body is not valid JSON."));
  if (!doc.is_object() && !doc.is_array()) {
    return respond(errorResponse(400, "The request body must be a JSON object or array."));
  }
  if (doc.is_array() && doc.empty()) {
    return respond(errorResponse(400, "The array holds no records."));
  }
  const std::size_t n = doc.is_array() ? doc.size() : 1;
  if (n > kMaxIngestRecords) {
    return respond(errorResponse(400, "Too many records: " + std::to_string(n) + " (at most " +
                                          std::to_string(kMaxIngestRecords) + " per request)."));
  }
  const std::int64_t nowMs = services.clock->nowMillis();
  std::vector<kinesis::actions::RecordInput> inputs;
  inputs.reserve(n);
  std::size_t total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Json& element = doc.is_array() ? doc[i] : doc;
    kinesis::actions::RecordInput input;
    input.data = element.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (!options.partitionKeyField.empty() && element.is_object()) {
      if (auto it = element.find(options.partitionKeyField); it != element.end()) {
        if (it->is_string()) {
          input.partitionKey = it->get<std::string>();
        } else if (it->is_number() || it->is_boolean()) {
          input.partitionKey = it->dump();
        }
      }
    }
    if (codePoints(input.partitionKey) > 256) {
      return respond(errorResponse(400, "Record " + std::to_string(i) + ": its \"" +
                                            options.partitionKeyField +
                                            "\" is longer than 256 characters, the limit of a "
                                            "partition key."));
    }
    if (input.partitionKey.empty()) input.partitionKey = randomPartitionKey(nowMs);
    const std::size_t size = input.data.size() + input.partitionKey.size();
    if (size > kMaxIngestRecordBytes) {
      return respond(errorResponse(
          400, "Record " + std::to_string(i) + " is " + std::to_string(size) +
                   " bytes; a record may have at most " + std::to_string(kMaxIngestRecordBytes) +
                   " bytes (data and partition key)."));
    }
    total += size;
    inputs.push_back(std::move(input));
  }
  if (total > kMaxIngestRequestBytes) {
    return respond(errorResponse(400, "The records total " + std::to_string(total) +
                                          " bytes; a request may have at most " +
                                          std::to_string(kMaxIngestRequestBytes) + "."));
  }

  kinesis::ActionCall call;
  call.services = &services;
  call.reply = [respond](kinesis::ApiResult<Json> result) {
    // Only errors arrive here: the stream lookup's.
    if (!result) return respond(failure(result.error()));
    respond(jsonResponse(200, *result));
  };
  kinesis::actions::withWritableStream(
      std::move(call), options.stream,
      [inputs = std::move(inputs), respond](kinesis::ActionCall c,
                                            streams::StreamMeta stream) mutable {
        std::vector<std::string> keys;
        keys.reserve(inputs.size());
        for (const auto& input : inputs) keys.push_back(input.partitionKey);
        kinesis::actions::produceRecords(
            *c.services, std::move(stream), std::move(inputs),
            [keys = std::move(keys), respond](
                kinesis::ApiResult<std::vector<kinesis::actions::RecordOutcome>> outcomes) mutable {
              if (!outcomes) return respond(failure(outcomes.error()));
              respond(answer(keys, *outcomes));
            });
      });
}

}  // namespace

void addIngestRoute(ApiRouter& router, kinesis::Services& services, IngestOptions options) {
  router.add("POST", "/api/ingest/stream",
             [&services, options = std::move(options)](ApiRequest request, http::Respond respond) {
               ingest(services, options, std::move(request), std::move(respond));
             });
}

}  // namespace kbridge::api
