// kbridge's command line (DESIGN.md §1). This version has `serve` and `config check`.

#include <cstring>
#include <iostream>
#include <string>

#include "app/serve.h"
#include "config/config.h"

namespace {

constexpr const char* kUsage =
    "usage: kbridge serve --config FILE\n"
    "       kbridge config check FILE\n";

int configCheck(const std::string& path) {
  kbridge::config::ConfigErrors errors;
  auto config = kbridge::config::loadConfig(path, errors);
  if (!config) {
    for (const auto& e : errors.errors) std::cerr << e << "\n";
    return 2;
  }
  std::cout << path << ": ok\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "serve") == 0) {
    std::string config = "config/local.json";
    for (int i = 2; i < argc; ++i) {
      if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
        config = argv[++i];
      } else {
        std::cerr << kUsage;
        return 2;
      }
    }
    return kbridge::app::serve(config);
  }
  if (argc == 4 && std::strcmp(argv[1], "config") == 0 && std::strcmp(argv[2], "check") == 0) {
    return configCheck(argv[3]);
  }
  std::cerr << kUsage;
  return 2;
}
