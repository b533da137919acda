#include "app/declared_streams.h"

#include <spdlog/spdlog.h>

#include <future>
#include <stdexcept>

#include "kinesis/errors.h"
#include "kinesis/model.h"
#include "streams/catalog.h"

namespace kbridge::app {
namespace {

using kinesis::ApiResult;
using kinesis::Json;

// Runs one Kinesis action in-process, as the dispatcher runs a request for it (input validated
// against the action's shape first), and waits for its answer.
ApiResult<Json> callAction(kinesis::Services& services, std::string_view name, const Json& input) {
  const kinesis::ActionEntry* action = kinesis::findAction(name);
  if (!action || !action->run) {
    return kinesis::apiError(kinesis::ErrorType::kUnknownOperation,
                             std::string(name) + " is not implemented");
  }
  const kinesis::Shape* shape = kinesis::inputShapeFor(action->name);
  auto validated = shape ? kinesis::validateInput(input, *shape, kinesis::WireFormat::kJson)
                         : ApiResult<Json>(input);
  if (!validated) return validated;
  auto answer = std::make_shared<std::promise<ApiResult<Json>>>();
  auto result = answer->get_future();
  kinesis::ActionCall call;
  call.input = std::move(*validated);
  call.format = kinesis::WireFormat::kJson;
  call.services = &services;
  call.reply = [answer](ApiResult<Json> r) { answer->set_value(std::move(r)); };
  call.replyEncoded = [answer](std::string) { answer->set_value(Json()); };
  action->run(std::move(call));
  return result.get();
}

[[noreturn]] void failed(const config::StreamDeclaration& stream, const std::string& what,
                         const kinesis::ApiError& error) {
  throw std::runtime_error("streams.create: cannot " + what + " stream " + stream.name + ": " +
                           std::string(kinesis::errorTypeName(error.type)) + ": " + error.message);
}

void reportDifferences(const config::StreamDeclaration& declared, const streams::StreamMeta& meta) {
  if (meta.openShardCount() != declared.shards) {
    spdlog::info("stream {} exists with {} open shard(s); streams.create declares {} (left as is)",
                 declared.name, meta.openShardCount(), declared.shards);
  }
  if (meta.retentionHours != declared.retentionHours) {
    spdlog::info(
        "stream {} exists with a retention of {} h; streams.create declares {} h (left as is)",
        declared.name, meta.retentionHours, declared.retentionHours);
  }
}

}  // namespace

void createDeclaredStreams(const std::vector<config::StreamDeclaration>& declared,
                           kinesis::Services& services) {
  for (const auto& stream : declared) {
    if (auto existing = services.catalog->find(stream.name)) {
      reportDifferences(stream, *existing);
      continue;
    }
    auto created = callAction(services, "CreateStream",
                              {{"StreamName", stream.name}, {"ShardCount", stream.shards}});
    if (!created) {
      if (created.error().type != kinesis::ErrorType::kResourceInUse) {
        failed(stream, "create", created.error());
      }
      // Another instance created it first: it also sets the declared retention.
      if (auto existing = services.catalog->find(stream.name)) reportDifferences(stream, *existing);
      continue;
    }
    auto meta = services.catalog->find(stream.name);
    const int current =
        meta ? meta->retentionHours : services.config->streams.defaultRetentionHours;
    if (current != stream.retentionHours) {
      auto changed = callAction(
          services,
          stream.retentionHours > current ? "IncreaseStreamRetentionPeriod"
                                          : "DecreaseStreamRetentionPeriod",
          {{"StreamName", stream.name}, {"RetentionPeriodHours", stream.retentionHours}});
      if (!changed) failed(stream, "set the retention period of", changed.error());
    }
    spdlog::info("created stream {} ({} shard(s), retention {} h) as streams.create declares",
                 stream.name, stream.shards, stream.retentionHours);
  }
}

}  // namespace kbridge::app
