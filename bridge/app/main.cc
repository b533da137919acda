// kbridge's command line (DESIGN.md §1). This version has `serve` and `config check`.

#include <csignal>
#include <cstring>
#include <iostream>
#include <string>

#include "app/ops_commands.h"
#include "app/serve.h"
#include "config/config.h"
#include "handlers/archive/archive_verify.h"
#include "handlers/registry.h"
#include "handlers/table/table_handler.h"
#include "runtime/filter.h"

namespace {

constexpr const char* kUsage =
    "usage: kbridge serve --config FILE\n"
    "       kbridge config check FILE\n"
    "       kbridge archive verify --mapping NAME [--config FILE]\n"
    "       kbridge lag [--mapping M | --group G [--stream S]] [--json] --config FILE\n"
    "       kbridge replay (--mapping M | --group G --stream S) --to POSITION [--execute]\n"
    "                      --config FILE\n";

// Handler settings and filters are checked when the config is loaded, with the rest of it.
kbridge::app::Plugins plugins() {
  kbridge::app::Plugins p;
  p.validateMapping = [](const kbridge::config::MappingConfig& m, const std::string& path,
                         std::vector<std::string>& errors) {
    (void)kbridge::handlers::buildHandler(m.handlerType, m.handlerSettings, path + ".handler",
                                          errors);
    if (!m.filter.is_null()) {
      (void)kbridge::runtime::RecordFilter::compile(m.filter, path + ".filter", errors);
    }
  };
  p.openTableReader = &kbridge::handlers::table::openTableReader;
  p.handlers = [](const kbridge::config::MappingConfig& m) {
    std::vector<std::string> errors;
    return kbridge::handlers::buildHandler(m.handlerType, m.handlerSettings, "$.handler", errors);
  };
  return p;
}

int configCheck(const std::string& path) {
  kbridge::config::ConfigErrors errors;
  auto config = kbridge::config::loadConfig(path, errors, plugins().validateMapping);
  if (!config) {
    for (const auto& e : errors.errors) std::cerr << e << "\n";
    return 2;
  }
  std::cout << path << ": ok\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A peer that closes a socket must give EPIPE, never kill the process (libcurl, listeners).
  std::signal(SIGPIPE, SIG_IGN);
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
    return kbridge::app::serve(config, plugins());
  }
  if (argc == 4 && std::strcmp(argv[1], "config") == 0 && std::strcmp(argv[2], "check") == 0) {
    return configCheck(argv[3]);
  }
  if (argc >= 2 && std::strcmp(argv[1], "lag") == 0) {
    return kbridge::app::lagCommand({argv + 2, argv + argc}, plugins().validateMapping);
  }
  if (argc >= 2 && std::strcmp(argv[1], "replay") == 0) {
    return kbridge::app::replayCommand({argv + 2, argv + argc}, plugins().validateMapping);
  }
  if (argc >= 3 && std::strcmp(argv[1], "archive") == 0 && std::strcmp(argv[2], "verify") == 0) {
    return kbridge::handlers::archive::archiveVerifyCommand({argv + 3, argv + argc}, std::cout,
                                                            std::cerr);
  }
  std::cerr << kUsage;
  return 2;
}
