#include "handlers/registry.h"

#include <array>

#include "handlers/archive/archive_handler.h"
#include "handlers/log/log_handler.h"
#include "handlers/metrics/metrics_handler.h"
#include "handlers/null/null_handler.h"
#include "handlers/table/table_handler.h"
#include "handlers/webhook/webhook_handler.h"

namespace kbridge::handlers {

std::span<const HandlerType> builtinHandlerTypes() {
  static const std::array<HandlerType, 6> kTypes{{
      {"archive", &buildArchiveHandler},
      {"log", &buildLogHandler},
      {"metrics", &buildMetricsHandler},
      {"null", &buildNullHandler},
      {"table", &buildTableHandler},
      {"webhook", &buildWebhookHandler},
  }};
  return kTypes;
}

std::unique_ptr<runtime::Handler> buildHandler(std::string_view type,
                                               const nlohmann::json& settings,
                                               const std::string& path,
                                               std::vector<std::string>& errors) {
  for (const auto& t : builtinHandlerTypes()) {
    if (t.name == type) return t.build(settings, path, errors);
  }
  std::string known;
  for (const auto& t : builtinHandlerTypes())
    known += (known.empty() ? "" : ", ") + std::string(t.name);
  errors.push_back(path + ".type: unknown handler type \"" + std::string(type) +
                   "\" (known: " + known + ")");
  return nullptr;
}

}  // namespace kbridge::handlers
