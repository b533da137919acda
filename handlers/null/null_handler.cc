#include "handlers/null/null_handler.h"

namespace kbridge::handlers {
namespace {

class NullHandler final : public runtime::Handler {
 public:
  std::string open(const runtime::HandlerContext&) override { return ""; }
  runtime::DeliveryResult deliver(const runtime::Batch&) override {
    return runtime::DeliveryResult::ok();
  }
};

}  // namespace

std::unique_ptr<runtime::Handler> buildNullHandler(const nlohmann::json& settings,
                                                   const std::string& path,
                                                   std::vector<std::string>& errors) {
  if (!settings.is_object() || !settings.empty()) {
    if (settings.is_object()) {
      for (const auto& [key, _] : settings.items())
        errors.push_back(path + "." + key + ": unknown key");
    } else {
      errors.push_back(path + ": must be an object");
    }
    return nullptr;
  }
  return std::make_unique<NullHandler>();
}

}  // namespace kbridge::handlers
