// EnableEnhancedMonitoring / DisableEnhancedMonitoring: the stream's shard-level metrics list, kept
// in the catalog record and shown by DescribeStream(Summary). kbridge exports its per-shard
// metrics on /metrics whatever the list says (README "Metrics"); the list is what tools such as
// Terraform's shard_level_metrics set and read back. The change is immediate (Kinesis passes
// through UPDATING for a while).

#include <algorithm>
#include <array>
#include <string_view>

#include "kinesis/actions/actions.h"
#include "kinesis/actions/common.h"
#include "kinesis/kafka_error_mapping.h"
#include "streams/catalog.h"

namespace kbridge::kinesis::actions {
namespace {

// Every shard-level metric, in the order Kinesis lists them when "ALL" is enabled; lists are
// always rendered in this order.
constexpr std::array<std::string_view, 7> kAllMetrics = {"IncomingBytes",
                                                         "OutgoingRecords",
                                                         "IteratorAgeMilliseconds",
                                                         "IncomingRecords",
                                                         "ReadProvisionedThroughputExceeded",
                                                         "WriteProvisionedThroughputExceeded",
                                                         "OutgoingBytes"};

bool listed(const std::vector<std::string>& list, std::string_view metric) {
  return std::find(list.begin(), list.end(), metric) != list.end();
}

// `current` with the requested metrics ("ALL": every one) added or taken away.
std::vector<std::string> changed(const std::vector<std::string>& current, const Json& requested,
                                 bool enable) {
  std::vector<std::string> asked;
  for (const auto& m : requested) asked.push_back(m.get<std::string>());
  const bool all = listed(asked, "ALL");
  std::vector<std::string> out;
  for (auto metric : kAllMetrics) {
    const bool wanted = all || listed(asked, metric);
    const bool has = listed(current, metric);
    if (enable ? (has || wanted) : (has && !wanted)) out.emplace_back(metric);
  }
  return out;
}

ApiResult<Json> setEnhancedMonitoring(const Json& input, Services& services, bool enable) {
  auto name = streamNameOf(input, services);
  if (!name) return fail(name.error());
  std::lock_guard writeLock(services.catalog->writeMutex());
  auto meta = loadStream(*name, services);
  if (!meta) return fail(meta.error());
  if (auto active = requireActive(*meta, services); !active) return fail(active.error());
  std::vector<std::string> current;
  for (auto metric : kAllMetrics) {
    if (listed(meta->shardLevelMetrics, metric)) current.emplace_back(metric);
  }
  auto desired = changed(current, input.at("ShardLevelMetrics"), enable);
  if (desired != meta->shardLevelMetrics) {
    meta->shardLevelMetrics = desired;
    if (auto put = services.catalog->put(*meta); !put) return fail(toApiError(put.error()));
  }
  return Json{{"StreamName", meta->name},
              {"CurrentShardLevelMetrics", current},
              {"DesiredShardLevelMetrics", desired},
              {"StreamARN", streamArn(meta->name, *services.config)}};
}

ApiResult<Json> enableEnhancedMonitoring(const Json& input, WireFormat, Services& services) {
  return setEnhancedMonitoring(input, services, true);
}

ApiResult<Json> disableEnhancedMonitoring(const Json& input, WireFormat, Services& services) {
  return setEnhancedMonitoring(input, services, false);
}

}  // namespace

void enableEnhancedMonitoring(ActionCall call) {
  runOnControl(std::move(call), &enableEnhancedMonitoring);
}

void disableEnhancedMonitoring(ActionCall call) {
  runOnControl(std::move(call), &disableEnhancedMonitoring);
}

}  // namespace kbridge::kinesis::actions
