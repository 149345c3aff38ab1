// The issue-6 pipeline through the binary: `reco simulate` -> `reco memboost priors/features`
// -> `reco samples events` (attributes, Memboost features and truth joined) -> `reco train`
// with each position method -> `reco rank --relevance true_relevance` and `reco eval`, which
// report the position-zeroed and the logged-position results.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "testing/testing.h"

namespace reco {
namespace {

using testing::reco_binary;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

std::string reco(const std::string& args) { return reco_binary() + " -q " + args; }

nlohmann::json run_json(const std::string& args) {
  auto [code, out] = run_command(reco("--json " + args));
  EXPECT_EQ(code, 0) << args << "\n" << out;
  const size_t brace = out.find('{');
  if (code != 0 || brace == std::string::npos) return nlohmann::json::object();
  return nlohmann::json::parse(out.substr(brace));
}

class PositionPipeline : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string d = dir_->path().string();
    auto run = [](const std::string& args) {
      auto [code, out] = run_command(reco(args));
      ASSERT_EQ(code, 0) << args << "\n" << out;
    };
    run("--seed 3 simulate -o " + d + "/sim --impressions 300000 --items 3000 --users 2000 --downsample 0.5");
    run("memboost priors --events " + d + "/sim/events.csv -o " + d + "/priors.json");
    run("memboost features --events " + d + "/sim/events.csv --priors " + d + "/priors.json -o " + d + "/mb.csv");
    run("samples events --events " + d + "/sim/events.csv --truth " + d + "/sim/truth.csv --items " + d +
        "/sim/items.csv --users " + d + "/sim/users.csv --features " + d + "/mb.csv -o " + d + "/s.dataset");
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string train(const std::string& name, const std::string& position) {
    const std::string d = dir_->path().string();
    const std::string cfg = d + "/" + name + ".toml";
    write_file(cfg,
               "[data]\npath = \"s.dataset\"\ndense = [\"item_quality\", \"item_log_popularity\", \"match_query_category\", "
               "\"mb_score\"]\nsparse = [\"platform\", \"item_category\"]\n"
               "[[task]]\nname = \"closeup\"\nlabel = \"closeup\"\n[[task]]\nname = \"click\"\nlabel = \"click\"\n"
               "[model]\nkind = \"mlp\"\nhead = \"shared_bottom\"\nembedding_dim = 4\nshared = [16]\ntower = [8, 1]\n" +
                   position + "[optimizer]\nkind = \"lazy_adam\"\nlr = 0.005\n[train]\nbatch_size = 256\nepochs = 1\n");
    auto [code, out] = run_command(reco("train --config " + cfg + " --out " + d + "/" + name + ".model"));
    EXPECT_EQ(code, 0) << out;
    return d + "/" + name + ".model";
  }

  static TempDir* dir_;
};
TempDir* PositionPipeline::dir_ = nullptr;

TEST_F(PositionPipeline, SamplesCarryLabelsPositionsTruthAndDownsampling) {
  const std::string d = dir_->path().string();
  auto j = run_json("inspect " + d + "/s.dataset");
  const std::string text = j.dump();
  for (const char* column : {"\"request_id\"", "\"position\"", "\"random_slice\"", "\"true_relevance\"",
                             "\"true_p_click\"", "\"mb_score\"", "\"match_query_category\"", "\"save\""})
    EXPECT_NE(text.find(column), std::string::npos) << column;
  EXPECT_NE(text.find("\"per_label\""), std::string::npos) << "downsampling recorded per label";
  // The simulator keeps its two holdout days whole (alpha 1); the split cuts at the same UTC
  // midnights, so only train is downsampled (a window measured back from the last event used
  // to pull late rows of a downsampled day into validation and mark it downsampled).
  EXPECT_EQ(j["extra"]["downsampling"]["parts"], nlohmann::json::array({"train"})) << j["extra"]["downsampling"].dump();
}

TEST_F(PositionPipeline, EachMethodTrainsAndReportsZeroedAndLoggedPositions) {
  const std::string d = dir_->path().string();
  for (const auto& [name, position] :
       std::vector<std::pair<std::string, std::string>>{
           {"none", ""},
           {"feature", "[position]\nmethod = \"feature\"\ndropout = 0.15\n"},
           {"tower", "[position]\nmethod = \"tower\"\ncross = \"platform\"\n"},
           {"ipw", "[position]\nmethod = \"ipw\"\nslice = \"random_slice\"\n"}}) {
    SCOPED_TRACE(name);
    const std::string model = train(name, position);
    auto r = run_json("rank --model " + model + " --data " + d + "/s.dataset --relevance true_relevance --k 10");
    ASSERT_TRUE(r.contains("relevance"));
    const double ndcg = r["relevance"]["metrics"]["ndcg_linear@10"].get<double>();
    EXPECT_GT(ndcg, 0.5);
    EXPECT_LE(ndcg, 1.0);
    EXPECT_EQ(r["position_mode"], "zeroed");
    const bool has_input = name == "feature" || name == "tower";
    EXPECT_EQ(r.contains("position_logged"), has_input);
    auto e = run_json("eval --model " + model + " --data " + d + "/s.dataset --relevance true_relevance");
    EXPECT_TRUE(e.contains("relevance"));
    EXPECT_EQ(e.contains("position_logged"), has_input);
  }
  auto [code, out] = run_command(reco("predict --model " + d + "/none.model --data " + d +
                                      "/s.dataset --position-logged --out " + d + "/p.csv"));
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("--position-logged needs a model with a position feature or tower"), std::string::npos) << out;
}

TEST_F(PositionPipeline, MisalignedTruthIsAnErrorNamingTheFile) {
  const std::string d = dir_->path().string();
  write_file(d + "/short_truth.csv", "request_id,item_id,position,relevance\n1,2,1,0.5\n");
  auto [code, out] = run_command(reco("samples events --events " + d + "/sim/events.csv --truth " + d +
                                      "/short_truth.csv -o " + d + "/bad.dataset"));
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("short_truth.csv: 1 rows"), std::string::npos) << out;
}

TEST(QuickstartWithoutData, SimulatesAndReportsTrueRelevanceNdcg) {
  TempDir dir;
  const std::string d = dir.path().string();
  std::filesystem::create_directories(d + "/empty");
  auto j = run_json("quickstart --data " + d + "/empty --impressions 200000 --out " + d + "/qs");
  EXPECT_EQ(j.value("source", std::string()), "reco simulate");
  ASSERT_TRUE(j.contains("ranker"));
  EXPECT_EQ(j["ranker"]["heads"].size(), 4u);
  const double ndcg = j["ranker"]["relevance"]["metrics"]["ndcg_linear@10"].get<double>();
  EXPECT_GT(ndcg, 0.5);
  EXPECT_LE(ndcg, 1.0);
}

}  // namespace
}  // namespace reco
