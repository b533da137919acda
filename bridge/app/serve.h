#pragma once

#include <string>

#include "config/config.h"
#include "runtime/mapping_runtime.h"

namespace kbridge::app {

// What the kbridge executable plugs into the library: the handler registry lives in handlers/,
// which depends on bridge/, so main() passes it in.
struct Plugins {
  config::MappingValidator validateMapping;
  runtime::HandlerFactory handlers;
};

// `kbridge serve --config FILE`: runs until SIGINT/SIGTERM; returns the process exit code.
int serve(const std::string& configPath, const Plugins& plugins);

}  // namespace kbridge::app
