#pragma once
// `kbridge lag` and `kbridge replay` (DESIGN.md §1): operator commands that read (and, for replay
// --execute, move) consumer-group offsets straight from Kafka, with the same code the lag monitor
// of `kbridge serve` runs (ops/lag_monitor.h, ops/replay.h).

#include <string>
#include <vector>

#include "config/config.h"

namespace kbridge::app {

// args: what follows the subcommand name. Return the process exit code (0 ok, 1 failed or refused,
// 2 usage or config error).
int lagCommand(const std::vector<std::string>& args, const config::MappingValidator& validate);
int replayCommand(const std::vector<std::string>& args, const config::MappingValidator& validate);

extern const char* const kLagUsage;
extern const char* const kReplayUsage;

}  // namespace kbridge::app
