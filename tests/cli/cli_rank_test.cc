// The multi-task ranking path end to end through the binary: events -> engagement samples
// -> `reco train` (4-head MMoE with a calibration map and utility weights) -> `reco eval`
// (per-head calibration report + SVG) -> `reco predict` (calibrated heads + utility) ->
// `reco rank`. Checks that utility weights w and c*w rank identically, and that new weights
// re-rank without touching the model file (no retraining).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "testing/testing.h"

namespace reco {
namespace {

using testing::read_file;
using testing::reco_binary;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

std::string reco(const std::string& args) { return reco_binary() + " " + args; }

// A deterministic Taobao-style log: 120 users, 40 categories of 15 items; each user views
// items of a few favourite categories; some views become fav / cart / buy.
std::string synthetic_events() {
  std::ostringstream o;
  uint64_t s = 12345;
  auto next = [&s] {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(s >> 33);
  };
  long t = 1511544000;
  for (int user = 1; user <= 120; ++user) {
    for (int c = 0; c < 3; ++c) {
      const int category = 1 + static_cast<int>((user * 7 + c * 13) % 40);
      for (int k = 0; k < 4; ++k) {
        const int item = category * 100 + static_cast<int>(next() % 15);
        o << user << "," << item << "," << category << ",pv," << t++ << "\n";
        const uint32_t r = next() % 100;
        // Engagement depends on the item (odd items are liked) so the heads can learn it.
        const bool liked = item % 2 == 1;
        if (r < (liked ? 30u : 5u)) o << user << "," << item << "," << category << ",fav," << t++ << "\n";
        if (r < (liked ? 20u : 3u)) o << user << "," << item << "," << category << ",cart," << t++ << "\n";
        if (r < (liked ? 10u : 1u)) o << user << "," << item << "," << category << ",buy," << t++ << "\n";
      }
    }
  }
  return o.str();
}

constexpr const char* kConfig = R"([data]
path = "samples.dataset"
sparse = ["user_id", "item_id", "category_id"]
[[task]]
name = "pv"
label = "pv"
[[task]]
name = "fav"
label = "fav"
[[task]]
name = "cart"
label = "cart"
[[task]]
name = "buy"
label = "buy"
[model]
kind = "mlp"
head = "mmoe"
embedding_dim = 4
experts = 3
expert = [8]
tower = [4, 1]
[optimizer]
kind = "lazy_adam"
lr = 0.01
[train]
batch_size = 64
epochs = 2
[calibration]
method = "none"
heads = { pv = "platt" }
[utility]
weights = { pv = 1.0, fav = 2.0, cart = 4.0, buy = 8.0 }
[output]
model = "mt.model"
)";

// group -> row order of the ranked lists file.
std::map<std::string, std::vector<std::string>> ranked_lists(const std::string& path) {
  std::map<std::string, std::vector<std::string>> out;
  std::istringstream in(read_file(path));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string x;
    while (std::getline(ss, x, ',')) f.push_back(x);
    out[f.at(0)].push_back(f.at(2));
  }
  return out;
}

class CliRank : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_.file("ev.csv"), synthetic_events());
    auto [c1, o1] = run_command(reco("-q ingest --format taobao " + dir_.file("ev.csv") + " -o " + dir_.file("ev.dataset")));
    ASSERT_EQ(c1, 0) << o1;
    auto [c2, o2] = run_command(reco("-q samples engagement --events " + dir_.file("ev.dataset") + " -o " +
                                     dir_.file("samples.dataset") + " --negatives 2 --alpha 0.5"));
    ASSERT_EQ(c2, 0) << o2;
    write_file(dir_.file("mt.toml"), kConfig);
    auto [c3, o3] = run_command(reco("--json --threads 2 train --config " + dir_.file("mt.toml")));
    ASSERT_EQ(c3, 0) << o3;
    train_json_ = nlohmann::json::parse(o3);
  }
  TempDir dir_;
  nlohmann::json train_json_;
};

TEST_F(CliRank, TrainStoresCalibratorsAndReportsHeads) {
  const auto& heads = train_json_["heads"];
  ASSERT_EQ(heads.size(), 4u);
  EXPECT_EQ(heads[0]["head"], "pv");
  EXPECT_EQ(heads[0]["calibrator"]["kind"], "platt");
  EXPECT_EQ(heads[1]["calibrator"]["kind"], "none");
  // The sample builder downsampled train negatives: every head carries its effective alpha.
  for (const auto& h : heads) {
    EXPECT_LT(h["calibrator"]["alpha"].get<double>(), 1.0) << h.dump();
    EXPECT_TRUE(h.contains("mean_gate_weights"));
    EXPECT_TRUE(h.contains("ece"));
  }
  EXPECT_DOUBLE_EQ(heads[3]["utility_weight"].get<double>(), 8.0);

  auto [code, out] = run_command(reco("--json eval --model " + dir_.file("mt.model") + " --data " +
                                      dir_.file("samples.dataset") + " --reliability-svg " + dir_.file("rel.svg")));
  ASSERT_EQ(code, 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_TRUE(j["calibrated"].get<bool>());
  ASSERT_EQ(j["heads"].size(), 4u);
  EXPECT_TRUE(j["metrics"].contains("buy/auc"));
  EXPECT_NE(read_file(dir_.file("rel.svg")).find("<svg"), std::string::npos);
}

TEST_F(CliRank, PredictWritesCalibratedHeadsAndTheirUtility) {
  auto [code, out] = run_command(reco("-q predict --model " + dir_.file("mt.model") + " --data " +
                                      dir_.file("samples.dataset") + " --split test --utility pv=1,buy=10"));
  ASSERT_EQ(code, 0) << out;
  std::istringstream in(out);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "row,pv,fav,cart,buy,utility");
  int checked = 0;
  while (std::getline(in, line) && checked < 50) {
    double v[6];
    ASSERT_EQ(std::sscanf(line.c_str(), "%lf,%lf,%lf,%lf,%lf,%lf", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]), 6);
    EXPECT_NEAR(v[5], 1.0 * v[1] + 10.0 * v[4], 1e-5 * (1 + v[5]));
    for (int t = 1; t <= 4; ++t) EXPECT_TRUE(v[t] >= 0.0 && v[t] <= 1.0);
    ++checked;
  }
  EXPECT_EQ(checked, 50);
}

TEST_F(CliRank, ScaledWeightsRankIdenticallyAndNewWeightsNeedNoRetraining) {
  const std::string model_bytes = read_file(dir_.file("mt.model"));
  const std::string base = "rank --model " + dir_.file("mt.model") + " --data " + dir_.file("samples.dataset");
  auto run = [&](const std::string& weights, const std::string& out_name) {
    auto [code, out] = run_command(reco("--json " + base + " --utility " + weights + " --out " + dir_.file(out_name)));
    EXPECT_EQ(code, 0) << out;
    return nlohmann::json::parse(out);
  };
  auto a = run("1,2,4,8", "a.csv");
  auto b = run("3,6,12,24", "b.csv");
  EXPECT_EQ(ranked_lists(dir_.file("a.csv")), ranked_lists(dir_.file("b.csv")));
  EXPECT_EQ(a["heads"][0]["auc"], b["heads"][0]["auc"]);
  EXPECT_EQ(a["utility"]["metrics"]["ndcg_linear@10"], b["utility"]["metrics"]["ndcg_linear@10"]);
  // Very different weights (buy only vs pv only) re-rank some list, from the same file.
  run("buy=1", "c.csv");
  run("pv=1", "d.csv");
  EXPECT_NE(ranked_lists(dir_.file("c.csv")), ranked_lists(dir_.file("d.csv")));
  EXPECT_EQ(read_file(dir_.file("mt.model")), model_bytes);
  // Unknown head: a one-line error naming the heads.
  auto [code, out] = run_command(reco(base + " --utility click=1"));
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("unknown head 'click'"), std::string::npos) << out;
  EXPECT_NE(out.find("pv, fav, cart, buy"), std::string::npos) << out;
}

}  // namespace
}  // namespace reco
