// `reco simulate` end to end: files, --json summary, text summary, config errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "testing/testing.h"

namespace reco {
namespace {

using testing::read_file;
using testing::reco_binary;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

const std::string kSmall = " --impressions 20000 --items 2000 --users 300 ";

TEST(CliSimulate, JsonSummaryMatchesFiles) {
  TempDir d;
  auto [code, out] = run_command(reco_binary() + " --seed 7 simulate --json -o " + d.file("o") + kSmall +
                                 "--downsample 0.5 2>/dev/null");
  ASSERT_EQ(code, 0) << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["seed"], 7);
  EXPECT_EQ(j["alpha"], 0.5);
  EXPECT_EQ(j["counts"]["impressions_generated"], 20000);
  const auto meta = nlohmann::json::parse(read_file(d.file("o/sim.json")));
  EXPECT_EQ(meta["counts"], j["counts"]);
  EXPECT_EQ(meta["config"]["downsample"], 0.5);
  EXPECT_EQ(meta["config"]["items.count"], 2000);
  const std::string events = read_file(d.file("o/events.csv"));
  const uint64_t lines = static_cast<uint64_t>(std::count(events.begin(), events.end(), '\n'));
  EXPECT_EQ(lines - 1, j["counts"]["impressions_logged"].get<uint64_t>());
  EXPECT_LT(lines - 1, 20000u);
  for (const char* f : {"truth.csv", "items.csv", "users.csv", "examination.csv"}) {
    EXPECT_TRUE(std::filesystem::exists(d.file(std::string("o/") + f))) << f;
  }
}

TEST(CliSimulate, TextSummaryAndConfigErrors) {
  TempDir d;
  auto [code, out] = run_command(reco_binary() + " simulate -o " + d.file("o") + kSmall + "2>&1");
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("requests 1000"), std::string::npos) << out;
  EXPECT_NE(out.find("long_click"), std::string::npos) << out;
  EXPECT_NE(out.find("impressions/s"), std::string::npos) << out;

  write_file(d.file("bad.toml"), "[policy]\nrandom_fractoin = 0.1\n");
  auto [bad, msg] = run_command(reco_binary() + " simulate -o " + d.file("o2") + " --config " + d.file("bad.toml") +
                                " 2>&1");
  EXPECT_NE(bad, 0);
  EXPECT_NE(msg.find("policy.random_fractoin"), std::string::npos) << msg;
  EXPECT_FALSE(std::filesystem::exists(d.file("o2/events.csv")));
}

}  // namespace
}  // namespace reco
