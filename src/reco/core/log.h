// Logging setup for the CLI and servers: spdlog's default logger writes to stderr as
//   "[reco] [warn] message"
// (no timestamps: these are messages for a person at a terminal). Code logs through
// spdlog directly: spdlog::info("loaded {} rows", n); spdlog::warn(...).
#pragma once

#include <string_view>

#include <spdlog/common.h>

namespace reco {

/// "trace", "debug", "info", "warn" (or "warning"), "error", "off" (case-insensitive).
/// Anything else throws ErrorCode::kInvalidArgument listing the accepted names.
spdlog::level::level_enum parse_log_level(std::string_view name);

/// Installs the stderr logger as spdlog's default. `quiet` raises the level to at least
/// "warn" (progress and info lines are suppressed, warnings and errors still show).
void init_logging(std::string_view level = "info", bool quiet = false);

/// The short level name used in log lines: "trace", "debug", "info", "warn", "error", "critical".
std::string_view log_level_name(spdlog::level::level_enum level);

}  // namespace reco
