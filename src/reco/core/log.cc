#include "reco/core/log.h"

#include <algorithm>
#include <cctype>
#include <string>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "reco/core/error.h"

namespace reco {

namespace {
// spdlog's own %l prints "warning"; the CLI's lines use the shorter "warn".
class ShortLevelFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const std::string_view name = log_level_name(msg.level);
    dest.append(name.data(), name.data() + name.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<ShortLevelFlag>();
  }
};
}  // namespace

std::string_view log_level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "critical";
    default: return "off";
  }
}

spdlog::level::level_enum parse_log_level(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "trace") return spdlog::level::trace;
  if (lower == "debug") return spdlog::level::debug;
  if (lower == "info") return spdlog::level::info;
  if (lower == "warn" || lower == "warning") return spdlog::level::warn;
  if (lower == "error") return spdlog::level::err;
  if (lower == "off") return spdlog::level::off;
  RECO_THROW(ErrorCode::kInvalidArgument)
      << "unknown log level '" << name << "' (expected one of: trace, debug, info, warn, error, off)";
}

void init_logging(std::string_view level, bool quiet) {
  auto lvl = parse_log_level(level);
  if (quiet) lvl = std::max(lvl, spdlog::level::warn);
  auto logger = std::make_shared<spdlog::logger>("reco", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<ShortLevelFlag>('*').set_pattern("[%n] [%*] %v");
  logger->set_formatter(std::move(formatter));
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace reco
