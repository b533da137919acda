#pragma once
// The `null` handler: accepts every batch and does nothing with it (fluent-bit's null output).
// For measuring the runtime itself (bench/) and for mappings that only need their checkpoint to
// move. No settings.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/handler.h"

namespace kbridge::handlers {

std::unique_ptr<runtime::Handler> buildNullHandler(const nlohmann::json& settings,
                                                   const std::string& path,
                                                   std::vector<std::string>& errors);

}  // namespace kbridge::handlers
