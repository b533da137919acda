// AddTagsToStream: tags live in the catalog record (at most 50 per stream, as in Kinesis).

#include "kinesis/actions/actions.h"
#include "kinesis/actions/common.h"
#include "kinesis/kafka_error_mapping.h"
#include "streams/catalog.h"

namespace kbridge::kinesis::actions {
namespace {

ApiResult<Json> addTagsToStream(const Json& input, WireFormat, Services& services) {
  auto name = streamNameOf(input, services);
  if (!name) return fail(name.error());
  std::vector<std::string> strings;
  for (const auto& [k, v] : input.at("Tags").items()) {
    strings.push_back(k);
    strings.push_back(v.get<std::string>());
  }
  std::lock_guard writeLock(services.catalog->writeMutex());
  auto meta = loadStream(*name, services);
  if (!meta) return fail(meta.error());
  if (auto ok = checkTagCharacters(*name, strings, *services.config, false); !ok) {
    return fail(ok.error());
  }
  auto tags = meta->tags;
  for (const auto& [k, v] : input.at("Tags").items()) tags[k] = v.get<std::string>();
  if (auto ok = checkTagCount(*name, tags.size(), *services.config); !ok) return fail(ok.error());
  if (auto active = requireActive(*meta, services); !active) return fail(active.error());
  meta->tags = std::move(tags);
  if (auto put = services.catalog->put(*meta); !put) return fail(toApiError(put.error()));
  return noOutput();
}

}  // namespace

void addTagsToStream(ActionCall call) {
  runOnControl(std::move(call), &addTagsToStream);
}

}  // namespace kbridge::kinesis::actions
