#pragma once

#include <string>

namespace kbridge::app {

// `kbridge serve --config FILE`: runs until SIGINT/SIGTERM; returns the process exit code.
int serve(const std::string& configPath);

}  // namespace kbridge::app
