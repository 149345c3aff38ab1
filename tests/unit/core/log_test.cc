#include "reco/core/log.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "reco/core/error.h"

namespace reco {
namespace {

TEST(Log, ParsesLevels) {
  EXPECT_EQ(parse_log_level("info"), spdlog::level::info);
  EXPECT_EQ(parse_log_level("WARN"), spdlog::level::warn);
  EXPECT_EQ(parse_log_level("warning"), spdlog::level::warn);
  EXPECT_EQ(parse_log_level("debug"), spdlog::level::debug);
  EXPECT_EQ(parse_log_level("off"), spdlog::level::off);
}

TEST(Log, UnknownLevelIsInvalidArgumentListingChoices) {
  try {
    parse_log_level("loud");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(e.message().find("'loud'"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("trace, debug, info, warn, error, off"), std::string::npos) << e.message();
  }
  EXPECT_THROW(init_logging("loud", false), Error);
}

TEST(Log, InitSetsDefaultLoggerLevelAndQuietRaisesIt) {
  init_logging("debug", false);
  EXPECT_EQ(spdlog::default_logger()->name(), "reco");
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);
  init_logging("info", true);
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);
  init_logging("error", true);
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::err);
}

TEST(Log, LinesUseShortLevelNames) {
  init_logging("info", false);
  ::testing::internal::CaptureStderr();
  spdlog::warn("disk {} almost full", "/tmp");
  spdlog::info("loaded {} rows", 12);
  spdlog::debug("hidden");
  spdlog::default_logger()->flush();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "[reco] [warn] disk /tmp almost full\n[reco] [info] loaded 12 rows\n");
}

}  // namespace
}  // namespace reco
