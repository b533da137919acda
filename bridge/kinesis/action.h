#pragma once
// What a Kinesis action is: a name (the part of X-Amz-Target after "Kinesis_20131202."), its input
// shape, and a function that runs it and answers through a callback. Actions are listed once, in
// kinesis/action_table.cc (STYLE.md rule 7); each lives in its own file under kinesis/actions/.
//
// An action receives the validated, normalized input and must call `reply` exactly once, from any
// thread. Actions that block on Kafka (the control plane) hand their work to services.control.

#include <functional>
#include <memory>
#include <string_view>

#include "common/clock.h"
#include "common/executor.h"
#include "config/config.h"
#include "kinesis/codec.h"
#include "kinesis/shape.h"

namespace kbridge::kafka {
class KafkaAdmin;
class RecordProducer;
class Fetcher;
}  // namespace kbridge::kafka
namespace kbridge::streams {
class Catalog;
class ShardLimits;
}  // namespace kbridge::streams
namespace kbridge::ops {
class ApiMetrics;
}

namespace kbridge::kinesis {

// The long-lived collaborators actions use. Owned by the application; outlive every request.
struct Services {
  std::shared_ptr<const config::Config> config;
  streams::Catalog* catalog = nullptr;
  kafka::KafkaAdmin* admin = nullptr;
  const Clock* clock = nullptr;
  Executor* control = nullptr;  // may block (Kafka admin, catalog writes)
  kafka::RecordProducer* producer = nullptr;
  kafka::Fetcher* fetcher = nullptr;
  Executor* fetch = nullptr;  // reads that may wait on Kafka (GetRecords, GetShardIterator)
  streams::ShardLimits* limits = nullptr;  // per-shard Kinesis limits; nullptr when off
  ops::ApiMetrics* metrics = nullptr;      // counts and times every request; optional
};

using Reply = std::function<void(ApiResult<Json>)>;

// A successful answer whose body the action encoded itself, in the call's format: for hot paths
// (GetRecords) where building a Json tree costs more than the work itself.
using ReplyEncoded = std::function<void(std::string body)>;

struct ActionCall {
  Json input;  // validated and normalized by validateInput
  WireFormat format = WireFormat::kJson;
  Services* services = nullptr;
  Reply reply;
  ReplyEncoded replyEncoded;
};

using ActionFn = void (*)(ActionCall call);

// An action's own reader of JSON 1.1 bodies, for the hot paths (PutRecord, PutRecords). It takes
// the request (returns true, and answers through `call` exactly once) only when the body is
// well-formed and valid as the generic path would find it; for anything else it returns false
// with `call` untouched, and the generic path (decode → validate → run) answers, errors included.
using FastJsonFn = bool (*)(std::string_view body, ActionCall& call);

struct ActionEntry {
  std::string_view name;
  ActionFn run;                   // nullptr: in the Kinesis API but not implemented by this version
  FastJsonFn fastJson = nullptr;  // optional
};

// The result of operations without an output shape: Kinesis answers them with 200 and an empty
// body.
inline Json noOutput() {
  return Json();
}

// Looks up an operation by name (case-sensitive); nullptr when Kinesis has no such operation.
const ActionEntry* findAction(std::string_view name);

// Runs `work` on the control executor and replies with its result: the shape of every control-plane
// action.
void runOnControl(ActionCall call, ApiResult<Json> (*work)(const Json& input, WireFormat format,
                                                           Services& services));

}  // namespace kbridge::kinesis
