// RemoveTagsFromStream: removes the named tags; names that are not set are ignored, as in Kinesis.

#include "kinesis/actions/actions.h"
#include "kinesis/actions/common.h"
#include "kinesis/kafka_error_mapping.h"
#include "streams/catalog.h"

namespace kbridge::kinesis::actions {
namespace {

ApiResult<Json> removeTagsFromStream(const Json& input, WireFormat, Services& services) {
  auto name = streamNameOf(input, services);
  if (!name) return fail(name.error());
  std::vector<std::string> keys = input.at("TagKeys").get<std::vector<std::string>>();
  std::lock_guard writeLock(services.catalog->writeMutex());
  auto meta = loadStream(*name, services);
  if (!meta) return fail(meta.error());
  if (auto ok = checkTagCharacters(*name, keys, *services.config, true); !ok) {
    return fail(ok.error());
  }
  if (auto active = requireActive(*meta, services); !active) return fail(active.error());
  for (const auto& k : keys) meta->tags.erase(k);
  if (auto put = services.catalog->put(*meta); !put) return fail(toApiError(put.error()));
  return noOutput();
}

}  // namespace

void removeTagsFromStream(ActionCall call) {
  runOnControl(std::move(call), &removeTagsFromStream);
}

}  // namespace kbridge::kinesis::actions
