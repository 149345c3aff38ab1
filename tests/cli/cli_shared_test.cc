// CLI end-to-end on the real shared datasets (label shared_data; skipped when absent).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "reco/data/dataset.h"
#include "testing/testing.h"

namespace reco {
namespace {

using testing::reco_binary;
using testing::run_command;
using testing::TempDir;

TEST(CliShared, QuickstartIngestsTaobao) {
  RECO_REQUIRE_SHARED(taobao, "taobao-userbehavior-head/UserBehavior_head_84475.csv");
  TempDir dir;
  auto [code, out] = run_command(reco_binary() + " --json quickstart --data " + testing::shared_data_dir().string() +
                                 " --out " + dir.file("qs"));
  ASSERT_EQ(code, 0) << out;
  auto j = nlohmann::json::parse(out);
  const auto& s = j["summary"];
  EXPECT_EQ(s["rows"].get<int>(), 84475);
  // SOURCE.md: pv 75,872; cart 4,497; fav 2,356; buy 1,750.
  std::map<std::string, int> expected = {{"pv", 75872}, {"cart", 4497}, {"fav", 2356}, {"buy", 1750}};
  int seen = 0;
  for (const auto& l : s["labels"]) {
    auto it = expected.find(l["name"].get<std::string>());
    if (it == expected.end()) continue;
    EXPECT_EQ(l["positives"].get<int>(), it->second) << it->first;
    ++seen;
  }
  EXPECT_EQ(seen, 4);
  // Leave-last-out: one test row per user (815 users, each with >= 4 events).
  EXPECT_EQ(s["split"]["test"].get<int>(), 815);
  EXPECT_EQ(s["split"]["validation"].get<int>(), 815);
  // The multi-task ranker: four calibrated heads judged on the non-downsampled test split.
  const auto& heads = j["ranker"]["heads"];
  ASSERT_EQ(heads.size(), 4u);
  for (const auto& h : heads) {
    EXPECT_GT(h["auc"].get<double>(), 0.6) << h.dump();
    EXPECT_LT(h["alpha"].get<double>(), 1.0) << h.dump();
    // Corrected for downsampling, the mean prediction is near the true rate (raw it is 1.3-1.7x).
    EXPECT_NEAR(h["calibration_ratio"].get<double>(), 1.0, 0.3) << h.dump();
  }
}

TEST(CliShared, CensusGzipIngestWithDownsampling) {
  RECO_REQUIRE_SHARED(census, "census-income-kdd/census-income.test.gz");
  TempDir dir;
  auto [code, out] = run_command(reco_binary() + " --json --seed 3 ingest --format census-kdd " + census.string() +
                                 " --downsample 0.5 --downsample-label income_50k -o " + dir.file("c.dataset"));
  ASSERT_EQ(code, 0) << out;
  Dataset ds = Dataset::open(dir.file("c.dataset"));
  // All 6,186 positives kept; about half of the 93,576 negatives.
  auto income = ds.f32("income_50k");
  uint64_t pos = 0;
  for (float v : income) pos += v == 1.0f;
  EXPECT_EQ(pos, 6186u);
  double negatives = static_cast<double>(ds.rows() - pos);
  EXPECT_NEAR(negatives, 93576 * 0.5, 5 * std::sqrt(93576 * 0.25));
  EXPECT_DOUBLE_EQ(ds.extra()["downsampling"]["alpha"].get<double>(), 0.5);
}

}  // namespace
}  // namespace reco
