// TagResource, UntagResource, ListTagsForResource: the ARN-addressed tag operations. For a stream's
// ARN they are AddTagsToStream, RemoveTagsFromStream and ListTagsForStream (the same tags, limits
// and errors); kbridge has no enhanced fan-out consumers, so a consumer's ARN names nothing.

#include "kinesis/actions/actions.h"
#include "kinesis/actions/common.h"
#include "streams/catalog.h"

namespace kbridge::kinesis::actions {
namespace {

// The StreamARN that ResourceARN is, or the error: a consumer's ARN
// (arn:aws:kinesis:R:A:stream/S/consumer/C:T) is not found; anything else but a stream's ARN is an
// invalid argument (the shape's pattern also lets "channel/" and "queue/" resources through).
ApiResult<std::string> streamArnOf(const Json& input, const config::Config& config) {
  const std::string arn = input.at("ResourceARN").get<std::string>();
  const auto resource = arn.find(":stream/");
  if (resource == std::string::npos) {
    return apiError(ErrorType::kInvalidArgument, "Invalid ResourceARN " + arn + ".");
  }
  const std::string path = arn.substr(resource + 8);
  if (const auto slash = path.find('/'); slash != std::string::npos) {
    return apiError(ErrorType::kResourceNotFound, "Consumer " + arn + " under account " +
                                                      config.kinesis.accountId + " not found.");
  }
  return arn;
}

ApiResult<Json> listTagsForResource(const Json& input, WireFormat, Services& services) {
  auto arn = streamArnOf(input, *services.config);
  if (!arn) return fail(arn.error());
  auto name = streamNameOf(Json{{"StreamARN", *arn}}, services);
  if (!name) return fail(name.error());
  auto meta = loadStream(*name, services);
  if (!meta) return fail(meta.error());
  Json tags = Json::array();
  for (const auto& [k, v] : meta->tags) tags.push_back({{"Key", k}, {"Value", v}});
  return Json{{"Tags", std::move(tags)}};
}

// Runs `streamAction` with the input rewritten for it: StreamARN instead of ResourceARN, and
// `member` carried over.
void asStreamAction(ActionCall call, const char* member, ActionFn streamAction) {
  auto arn = streamArnOf(call.input, *call.services->config);
  if (!arn) return call.reply(fail(arn.error()));
  Json input{{"StreamARN", *arn}, {member, std::move(call.input.at(member))}};
  call.input = std::move(input);
  streamAction(std::move(call));
}

}  // namespace

void listTagsForResource(ActionCall call) {
  runOnControl(std::move(call), &listTagsForResource);
}

void tagResource(ActionCall call) {
  asStreamAction(std::move(call), "Tags", &addTagsToStream);
}

void untagResource(ActionCall call) {
  asStreamAction(std::move(call), "TagKeys", &removeTagsFromStream);
}

}  // namespace kbridge::kinesis::actions
