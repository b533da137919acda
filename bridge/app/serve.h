#pragma once

#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "runtime/mapping_runtime.h"

namespace kbridge::api {
class TableReader;
}

namespace kbridge::app {

// What the kbridge executable plugs into the library: the handler registry lives in handlers/,
// which depends on bridge/, so main() passes it in.
struct Plugins {
  config::MappingValidator validateMapping;
  runtime::HandlerFactory handlers;
  // The REST API's read access to a table mapping's store (api.data.mapping); null with `error`
  // set when it cannot be opened.
  std::function<std::shared_ptr<api::TableReader>(const config::MappingConfig& mapping,
                                                  std::string& error)>
      openTableReader;
};

// `kbridge serve --config FILE`: runs until SIGINT/SIGTERM; returns the process exit code.
int serve(const std::string& configPath, const Plugins& plugins);

}  // namespace kbridge::app
