#pragma once
// The one explicit list of built-in handler types (STYLE.md rule 7: no static self-registration).
// A handler type parses and validates its own settings — the mapping's "handler" object without
// "type" — reporting every problem with its JSON path, and builds an unopened Handler.

#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/handler.h"

namespace kbridge::handlers {

// Returns null after appending "path.key: what" lines to `errors` when `settings` are invalid.
using HandlerBuilder = std::unique_ptr<runtime::Handler> (*)(const nlohmann::json& settings,
                                                             const std::string& path,
                                                             std::vector<std::string>& errors);

struct HandlerType {
  std::string_view name;
  HandlerBuilder build;
};

std::span<const HandlerType> builtinHandlerTypes();

// Looks `type` up and builds it; an unknown type is reported at `path`.type.
std::unique_ptr<runtime::Handler> buildHandler(std::string_view type,
                                               const nlohmann::json& settings,
                                               const std::string& path,
                                               std::vector<std::string>& errors);

}  // namespace kbridge::handlers
