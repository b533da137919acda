// ListTagsForStream: tags in key order, paged by ExclusiveStartTagKey and Limit.

#include "kinesis/actions/actions.h"
#include "kinesis/actions/common.h"
#include "streams/catalog.h"

namespace kbridge::kinesis::actions {
namespace {

ApiResult<Json> listTagsForStream(const Json& input, WireFormat, Services& services) {
  auto name = streamNameOf(input, services);
  if (!name) return fail(name.error());
  auto meta = loadStream(*name, services);
  if (!meta) return fail(meta.error());
  const size_t limit = input.value("Limit", 50);
  const std::string after = input.value("ExclusiveStartTagKey", "");
  Json tags = Json::array();
  bool more = false;
  for (const auto& [k, v] : meta->tags) {
    if (!after.empty() && k <= after) continue;
    if (tags.size() == limit) {
      more = true;
      break;
    }
    tags.push_back({{"Key", k}, {"Value", v}});
  }
  return Json{{"Tags", std::move(tags)}, {"HasMoreTags", more}};
}

}  // namespace

void listTagsForStream(ActionCall call) {
  runOnControl(std::move(call), &listTagsForStream);
}

}  // namespace kbridge::kinesis::actions
