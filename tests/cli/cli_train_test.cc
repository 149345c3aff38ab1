// End-to-end runs of the learning subcommands: gen random --split, train --config,
// eval --json, predict --out, bench train --json, and the one-line error of a bad config.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "reco/data/dataset.h"
#include "reco/eval/metric_set.h"
#include "testing/testing.h"

namespace reco {
namespace {

using testing::read_file;
using testing::reco_binary;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

std::string reco(const std::string& args) { return reco_binary() + " " + args; }

// The JSON document in a command's output (progress lines may precede it on stderr).
nlohmann::json json_of(const std::string& out) {
  const size_t at = out.find('{');
  EXPECT_NE(at, std::string::npos) << out;
  return nlohmann::json::parse(out.substr(at == std::string::npos ? 0 : at));
}

class CliTrain : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.file("r.dataset");
    auto [code, out] = run_command(reco("-q --seed 3 gen random --rows 4000 --dense 5 --table-sizes 30,20,10 "
                                        "--split random:0.8,0.1,0.1 -o " + data_));
    ASSERT_EQ(code, 0) << out;
    write_file(dir_.file("train.toml"), R"([data]
path = "r.dataset"

[model]
kind = "dlrm"
embedding_dim = 4
bottom = [8, 4]
top = [8, 1]

[optimizer]
kind = "adagrad"
lr = 0.05

[train]
batch_size = 128
epochs = 2
threads = 1
seed = 5

[output]
model = "m.model"
)");
  }
  TempDir dir_;
  std::string data_;
};

TEST_F(CliTrain, GenTrainEvalPredict) {
  // gen: a split and the teacher's metrics per split in the dataset's extra.
  Dataset ds = Dataset::open(data_);
  ASSERT_EQ(ds.rows(), 4000u);
  ASSERT_EQ(ds.split().size(), 4000u);
  const auto& teacher = ds.extra().at("teacher");
  for (const char* part : {"train", "validation", "test"}) {
    ASSERT_TRUE(teacher.contains(part)) << teacher.dump();
    EXPECT_GT(teacher.at(part).at("auc").get<double>(), 0.5);
  }

  auto [tcode, tout] = run_command(reco("--json train --config " + dir_.file("train.toml")));
  ASSERT_EQ(tcode, 0) << tout;
  const auto report = json_of(tout);
  ASSERT_TRUE(report.contains("epochs")) << tout;
  EXPECT_EQ(report.at("epochs").size(), 2u);
  EXPECT_TRUE(report.contains("best_epoch"));
  EXPECT_TRUE(report.contains("stopped_early"));
  EXPECT_TRUE(report.contains("parameters"));
  EXPECT_EQ(report.at("model").get<std::string>(), dir_.file("m.model"));
  std::ifstream model_file(dir_.file("m.model"));
  ASSERT_TRUE(model_file.good()) << "the model is written next to the config";

  auto [ecode, eout] =
      run_command(reco("--json eval --model " + dir_.file("m.model") + " --data " + data_ + " --split test"));
  ASSERT_EQ(ecode, 0) << eout;
  const auto ev = json_of(eout);
  EXPECT_EQ(ev.at("split"), "test");
  ASSERT_TRUE(ev.contains("metrics")) << eout;
  for (const char* m : {"auc", "logloss", "pr_auc", "brier", "accuracy"})
    EXPECT_TRUE(ev.at("metrics").contains(m)) << m << " missing: " << eout;
  const double eval_auc = ev.at("metrics").at("auc").get<double>();
  const double eval_logloss = ev.at("metrics").at("logloss").get<double>();
  EXPECT_GT(eval_auc, 0.55);

  const std::string csv = dir_.file("p.csv");
  auto [pcode, pout] = run_command(reco("-q predict --model " + dir_.file("m.model") + " --data " + data_ +
                                        " --split test --out " + csv));
  ASSERT_EQ(pcode, 0) << pout;
  std::istringstream in(read_file(csv));
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "row,prediction");
  // Rows come in dataset order; recomputing eval's metrics from them gives eval's numbers.
  const auto labels = ds.f32("label");
  eval::MetricSet set({"auc", "logloss"});
  uint64_t previous = 0, count = 0;
  while (std::getline(in, line)) {
    const size_t comma = line.find(',');
    ASSERT_NE(comma, std::string::npos) << line;
    const uint64_t row = std::stoull(line.substr(0, comma));
    const float p = std::stof(line.substr(comma + 1));
    ASSERT_LT(row, ds.rows());
    EXPECT_EQ(ds.split()[row], 2) << "row " << row << " is not a test row";
    if (count > 0) {
      EXPECT_GT(row, previous);
    }
    EXPECT_GT(p, 0.0f);
    EXPECT_LT(p, 1.0f);
    set.add(p, labels[row]);
    previous = row;
    ++count;
  }
  EXPECT_EQ(count, static_cast<uint64_t>(std::count(ds.split().begin(), ds.split().end(), uint8_t{2})));
  EXPECT_DOUBLE_EQ(set.values().at("auc"), eval_auc);
  EXPECT_NEAR(set.values().at("logloss"), eval_logloss, 1e-9);
}

TEST_F(CliTrain, TrainIsReproducibleWithOneThread) {
  auto [c1, o1] = run_command(reco("-q train --config " + dir_.file("train.toml") + " --out " + dir_.file("a.model")));
  ASSERT_EQ(c1, 0) << o1;
  auto [c2, o2] = run_command(reco("-q train --config " + dir_.file("train.toml") + " --out " + dir_.file("b.model")));
  ASSERT_EQ(c2, 0) << o2;
  auto [p1, s1] = run_command(reco("-q predict --model " + dir_.file("a.model") + " --data " + data_ +
                                   " --split validation --out -"));
  auto [p2, s2] = run_command(reco("-q predict --model " + dir_.file("b.model") + " --data " + data_ +
                                   " --split validation --out -"));
  ASSERT_EQ(p1, 0) << s1;
  EXPECT_GT(s1.size(), 100u);
  EXPECT_EQ(s1, s2);
}

TEST_F(CliTrain, BadConfigIsAOneLineError) {
  write_file(dir_.file("bad.toml"), "[data]\npath = \"r.dataset\"\n[model]\nkind = \"mlp\"\nlayers = [4, 1]\n");
  auto [code, out] = run_command(reco("train --config " + dir_.file("bad.toml")));
  EXPECT_NE(code, 0) << out;
  EXPECT_EQ(out.find("reco: error["), 0u) << out;
  EXPECT_NE(out.find("model.layers"), std::string::npos) << out;
  EXPECT_NE(out.find("bad.toml:5"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;

  auto [mcode, mout] = run_command(reco("train --config " + dir_.file("nope.toml")));
  EXPECT_NE(mcode, 0);
  EXPECT_EQ(mout.find("reco: error["), 0u) << mout;

  // A model that does not fit the data: eval on a dataset with a larger table.
  auto [tcode, tout] = run_command(reco("-q train --config " + dir_.file("train.toml")));
  ASSERT_EQ(tcode, 0) << tout;
  const std::string other = dir_.file("o.dataset");
  auto [gcode, gout] = run_command(reco("-q gen random --rows 500 --dense 5 --table-sizes 30,25,10 -o " + other));
  ASSERT_EQ(gcode, 0) << gout;
  auto [ecode, eout] = run_command(reco("eval --model " + dir_.file("m.model") + " --data " + other));
  EXPECT_NE(ecode, 0) << eout;
  EXPECT_EQ(eout.find("reco: error["), 0u) << eout;
  EXPECT_NE(eout.find("cat_1"), std::string::npos) << eout;
}

TEST(CliBench, TrainJson) {
  auto [code, out] =
      run_command(reco("--json bench train --steps 3 --warmup 1 --batch 64 --rows 1000"));
  ASSERT_EQ(code, 0) << out;
  const auto j = json_of(out);
  ASSERT_TRUE(j.contains("train_samples_per_s")) << out;
  EXPECT_GT(j.at("train_samples_per_s").get<double>(), 0.0);
  EXPECT_TRUE(j.contains("infer_samples_per_s")) << out;
}

}  // namespace
}  // namespace reco
