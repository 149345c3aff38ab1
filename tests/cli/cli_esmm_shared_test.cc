// ESMM end to end on the real Ali-CCP and AliExpress samples (../shared/data; skipped when
// absent): ingest with the built-in layout, train the bench/ config, evaluate and predict.
// The samples are far too small for quality; this is the plumbing check of issue 5:
// chained outputs satisfy pCTCVR <= pCTR on every row and every step runs on real files.
#include <gtest/gtest.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "testing/testing.h"

namespace reco {
namespace {

using testing::reco_binary;
using testing::run_command;
using testing::shared_data_file;
using testing::TempDir;
using testing::write_file;

std::string reco(const std::string& args) { return reco_binary() + " " + args; }

void run_esmm(const std::string& format, const std::vector<std::string>& files, const std::string& conversion) {
  SCOPED_TRACE(format);
  TempDir dir;
  std::string inputs;
  for (const auto& f : files) inputs += " " + f;
  auto [c1, o1] = run_command(reco("-q ingest -f " + format + inputs + " --split random:0.6,0.2,0.2 -o " +
                                   dir.file("d.dataset")));
  ASSERT_EQ(c1, 0) << o1;
  write_file(dir.file("esmm.toml"), "[data]\npath = \"d.dataset\"\n[[task]]\nname = \"ctr\"\nlabel = \"click\"\n"
                                    "[[task]]\nname = \"ctcvr\"\nlabel = \"" + conversion + "\"\n"
                                    "[model]\nkind = \"mlp\"\nhead = \"esmm\"\nembedding_dim = 4\ntower = [8, 1]\n"
                                    "[optimizer]\nkind = \"lazy_adam\"\nlr = 0.01\n"
                                    "[train]\nbatch_size = 32\nepochs = 2\n[output]\nmodel = \"esmm.model\"\n");
  auto [c2, o2] = run_command(reco("--json train --config " + dir.file("esmm.toml")));
  ASSERT_EQ(c2, 0) << o2;
  auto j = nlohmann::json::parse(o2);
  ASSERT_EQ(j["heads"].size(), 2u);
  auto [c3, o3] = run_command(reco("--json eval --model " + dir.file("esmm.model") + " --data " + dir.file("d.dataset")));
  ASSERT_EQ(c3, 0) << o3;
  EXPECT_TRUE(nlohmann::json::parse(o3)["metrics"].contains("ctcvr/logloss"));
  auto [c4, o4] = run_command(reco("-q predict --model " + dir.file("esmm.model") + " --data " + dir.file("d.dataset")));
  ASSERT_EQ(c4, 0) << o4;
  std::istringstream in(o4);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "row,ctr,ctcvr,utility");
  int rows = 0;
  while (std::getline(in, line)) {
    double row = 0, ctr = 0, ctcvr = 0, u = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "%lf,%lf,%lf,%lf", &row, &ctr, &ctcvr, &u), 4) << line;
    EXPECT_LE(ctcvr, ctr + 1e-7) << line;
    ++rows;
  }
  EXPECT_GT(rows, 100);
}

TEST(CliEsmmShared, AliCcpSample) {
  RECO_REQUIRE_SHARED(train, "ali-ccp-sample/ali_ccp_train_sample.csv");
  run_esmm("ali-ccp",
           {train.string(), shared_data_file("ali-ccp-sample/ali_ccp_val_sample.csv").string(),
            shared_data_file("ali-ccp-sample/ali_ccp_test_sample.csv").string()},
           "purchase");
}

TEST(CliEsmmShared, AliExpressSample) {
  RECO_REQUIRE_SHARED(train, "aliexpress-sample/aliexpress_train_sample.csv");
  run_esmm("aliexpress", {train.string(), shared_data_file("aliexpress-sample/aliexpress_test_sample.csv").string()},
           "conversion");
}

}  // namespace
}  // namespace reco
