// `reco tune` end to end through the binary: utility tuning on a tiny trained 4-head model
// (feasible weights, every constraint re-checked by `reco rank`/`predict` on the written model,
// resume after a simulated crash without re-running finished trials), the online
// propose/observe loop, and one-line errors naming the file/line/field for bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
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

// Taobao-style behaviour log: 150 users view items of three categories; odd items are liked
// (more fav/cart/buy), items divisible by 3 are browsed a lot but rarely bought, so the heads
// disagree and the utility weights matter.
std::string synthetic_events() {
  std::ostringstream o;
  uint64_t s = 987654321;
  auto next = [&s] {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(s >> 33);
  };
  long t = 1511544000;
  for (int user = 1; user <= 150; ++user) {
    for (int c = 0; c < 3; ++c) {
      const int category = 1 + static_cast<int>((user * 11 + c * 7) % 30);
      for (int k = 0; k < 5; ++k) {
        const int item = category * 100 + static_cast<int>(next() % 12);
        const bool liked = item % 2 == 1, browsed = item % 3 == 0;
        const int views = browsed ? 2 : 1;
        for (int v = 0; v < views; ++v) o << user << "," << item << "," << category << ",pv," << t++ << "\n";
        const uint32_t r = next() % 100;
        if (r < (liked ? 30u : 6u)) o << user << "," << item << "," << category << ",fav," << t++ << "\n";
        if (r < (liked ? 22u : 4u)) o << user << "," << item << "," << category << ",cart," << t++ << "\n";
        if (r < (liked && !browsed ? 14u : 2u)) o << user << "," << item << "," << category << ",buy," << t++ << "\n";
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
head = "shared_bottom"
embedding_dim = 4
shared = [8]
tower = [4, 1]
[optimizer]
kind = "lazy_adam"
lr = 0.01
[train]
batch_size = 64
epochs = 2
[calibration]
method = "none"
[utility]
weights = { pv = 1.0, fav = 2.0, cart = 4.0, buy = 8.0 }
[output]
model = "mt.model"
)";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::string fmt_int(const std::string& prefix, double v) {
  return prefix + std::to_string(static_cast<long long>(std::llround(v))) + "\n";
}

class CliTune : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    write_file(dir_->file("ev.csv"), synthetic_events());
    auto [c1, o1] =
        run_command(reco("-q ingest --format taobao " + dir_->file("ev.csv") + " -o " + dir_->file("ev.dataset")));
    ASSERT_EQ(c1, 0) << o1;
    auto [c2, o2] = run_command(reco("-q samples engagement --events " + dir_->file("ev.dataset") + " -o " +
                                     dir_->file("samples.dataset") + " --negatives 2 --alpha 0.5"));
    ASSERT_EQ(c2, 0) << o2;
    write_file(dir_->file("mt.toml"), kConfig);
    auto [c3, o3] = run_command(reco("-q --threads 1 train --config " + dir_->file("mt.toml")));
    ASSERT_EQ(c3, 0) << o3;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string file(const std::string& name) { return dir_->file(name); }
  // `reco tune utility` on the tiny model; extra = the rest of the command line.
  static std::pair<int, std::string> tune(const std::string& log, const std::string& extra) {
    return run_command(reco("--threads 1 --seed 5 tune utility --model " + file("mt.model") + " --data " +
                            file("samples.dataset") + " --split all --objective pr_auc:buy --constraint " +
                            "'auc:pv>=0.97*baseline' --constraint 'auc:fav>=0.97*baseline' --log " + file(log) + " " +
                            extra));
  }
  static TempDir* dir_;
};
TempDir* CliTune::dir_ = nullptr;

TEST_F(CliTune, UtilityFindsFeasibleWeightsAndWritesThemIntoTheModel) {
  auto [code, out] = tune("a.jsonl", "--trials 14 --json --write-model " + file("tuned.model"));
  ASSERT_EQ(code, 0) << out;
  const auto j = nlohmann::json::parse(out);
  ASSERT_FALSE(j["best"].is_null()) << out;
  const auto& best = j["best"];
  // Every constraint holds for the returned weights; the baseline is trial 0, so the best is at
  // least as good as the baseline.
  for (const auto& c : j["constraints"]) {
    const std::string metric = c["text"].get<std::string>().substr(0, c["text"].get<std::string>().find(">="));
    EXPECT_GE(best["metrics"][metric].get<double>(), c["threshold"].get<double>()) << c.dump();
  }
  EXPECT_GE(best["metrics"]["pr_auc:buy"].get<double>(), j["baseline"]["metrics"]["pr_auc:buy"].get<double>());
  double sum = 0;
  for (double w : best["weights"]) {
    EXPECT_GE(w, 0.0);
    sum += w;
  }
  EXPECT_NEAR(sum, 1.0, 1e-9);
  EXPECT_EQ(j["trials"], 14);

  // `reco rank` on the written model reports the tuned weights and ranks by them: the per-row
  // utility of `predict` is sum_t w_t p_t with those weights.
  auto [c2, o2] = run_command(reco("--json rank --model " + file("tuned.model") + " --data " + file("samples.dataset") +
                                   " --split all"));
  ASSERT_EQ(c2, 0) << o2;
  const auto r = nlohmann::json::parse(o2);
  ASSERT_EQ(r["heads"].size(), 4u);
  for (size_t t = 0; t < 4; ++t)
    EXPECT_NEAR(r["heads"][t]["weight"].get<double>(), best["weights"][t].get<double>(), 1e-6) << t;
  auto [c3, o3] = run_command(reco("-q predict --model " + file("tuned.model") + " --data " + file("samples.dataset")));
  ASSERT_EQ(c3, 0) << o3;
  const auto rows = lines_of(o3);
  ASSERT_GT(rows.size(), 10u);
  EXPECT_EQ(rows[0], "row,pv,fav,cart,buy,utility");
  for (size_t i = 1; i < 40 && i < rows.size(); ++i) {
    double v[6];
    ASSERT_EQ(std::sscanf(rows[i].c_str(), "%lf,%lf,%lf,%lf,%lf,%lf", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]), 6);
    double u = 0;
    for (size_t t = 0; t < 4; ++t) u += best["weights"][t].get<double>() * v[1 + t];
    EXPECT_NEAR(v[5], u, 1e-5 * (1 + u)) << rows[i];
  }
}

TEST_F(CliTune, ResumesAfterACrashWithoutRerunningFinishedTrials) {
  auto [c1, o1] = tune("b.jsonl", "-q --trials 7");
  ASSERT_EQ(c1, 0) << o1;
  // Simulate a crash while trial 6 was being evaluated: drop its "complete" record (its "pending"
  // record stays) and leave a torn half line, as a kill during an append would.
  auto lines = lines_of(read_file(file("b.jsonl")));
  ASSERT_EQ(nlohmann::json::parse(lines.back())["status"], "complete");
  ASSERT_EQ(nlohmann::json::parse(lines[lines.size() - 2])["status"], "pending");
  const auto unit6 = nlohmann::json::parse(lines.back())["unit"];
  lines.pop_back();
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  write_file(file("b.jsonl"), text + "{\"id\":7,\"stat");
  const size_t records_before = lines.size();

  auto [c2, o2] = tune("b.jsonl", "--trials 10 --json");
  ASSERT_EQ(c2, 0) << o2;
  // stderr (merged) warns about the torn record; stdout is the JSON object after it.
  EXPECT_NE(o2.find("dropped a torn last record"), std::string::npos) << o2;
  EXPECT_EQ(nlohmann::json::parse(o2.substr(o2.find("{\n")))["trials"], 10);
  const auto after = lines_of(read_file(file("b.jsonl")));
  // The surviving records are untouched (torn line cut off), and each finished trial 0..5 still
  // has exactly one record saying complete: none was evaluated again.
  ASSERT_GT(after.size(), records_before);
  for (size_t i = 0; i < records_before; ++i) EXPECT_EQ(after[i], lines[i]) << i;
  std::map<int64_t, int> completes;
  for (size_t i = 1; i < after.size(); ++i) {
    const auto r = nlohmann::json::parse(after[i]);
    if (r["status"] == "complete") ++completes[r["id"].get<int64_t>()];
  }
  ASSERT_EQ(completes.size(), 10u);
  for (const auto& [id, n] : completes) EXPECT_EQ(n, 1) << "trial " << id;
  // Trial 6 (pending at the crash) was evaluated at the point it had been proposed at.
  for (size_t i = records_before; i < after.size(); ++i) {
    const auto r = nlohmann::json::parse(after[i]);
    if (r["id"] == 6) {
      EXPECT_EQ(r["status"], "complete");
      EXPECT_EQ(r["unit"], unit6);
    }
  }
  // Same log with another objective: refused, naming the log.
  auto [c3, o3] = run_command(reco("tune utility --model " + file("mt.model") + " --data " + file("samples.dataset") +
                                   " --split all --objective auc:buy --log " + file("b.jsonl")));
  EXPECT_NE(c3, 0);
  EXPECT_NE(o3.find("b.jsonl"), std::string::npos) << o3;
}

TEST_F(CliTune, ProposeObserveRoundTrip) {
  write_file(file("space.toml"), R"([[param]]
name = "lr"
lower = 0.0001
upper = 0.1
scale = "log"
[[param]]
name = "dim"
lower = 4
upper = 64
scale = "int"
[[constraint]]
name = "save_rate"
min = 0.03
)");
  const std::string base = "--json --seed 2 tune propose --space " + file("space.toml") + " --log " + file("o.jsonl");
  auto [c1, o1] = run_command(reco(base + " --batch 2"));
  ASSERT_EQ(c1, 0) << o1;
  const auto arms = nlohmann::json::parse(o1)["arms"];
  ASSERT_EQ(arms.size(), 2u);
  std::set<int64_t> ids;
  for (const auto& a : arms) {
    ids.insert(a["trial"].get<int64_t>());
    const double lr = a["params"]["lr"], dim = a["params"]["dim"];
    EXPECT_TRUE(lr >= 1e-4 && lr <= 0.1) << a.dump();
    EXPECT_TRUE(dim >= 4 && dim <= 64 && dim == std::round(dim)) << a.dump();
  }
  EXPECT_EQ(ids.size(), 2u);
  const std::string obs = "tune observe --log " + file("o.jsonl") + " --trial ";
  auto [c2, o2] = run_command(reco("--json " + obs + std::to_string(*ids.begin()) +
                                   " --value 0.71 --constraint-values 0.035"));
  ASSERT_EQ(c2, 0) << o2;
  const auto rec = nlohmann::json::parse(o2);
  EXPECT_EQ(rec["status"], "complete");
  EXPECT_NEAR(rec["constraints"][0].get<double>(), 0.005, 1e-12);  // slack = value - min
  auto [c3, o3] = run_command(reco("-q " + obs + std::to_string(*ids.rbegin()) + " --failed"));
  ASSERT_EQ(c3, 0) << o3;
  // The next proposal continues the ids and sees both results.
  auto [c4, o4] = run_command(reco(base));
  ASSERT_EQ(c4, 0) << o4;
  EXPECT_EQ(nlohmann::json::parse(o4)["arms"][0]["trial"].get<int64_t>(), *ids.rbegin() + 1);
  // Wrong number of constraint values, unknown trial: errors naming what was expected.
  auto [c5, o5] = run_command(reco(obs + "0 --value 0.5"));
  EXPECT_NE(c5, 0);
  EXPECT_NE(o5.find("--constraint-values needs 1"), std::string::npos) << o5;
  auto [c6, o6] = run_command(reco(obs + "99 --value 0.5 --constraint-values 1"));
  EXPECT_NE(c6, 0);
  EXPECT_NE(o6.find("no trial 99"), std::string::npos) << o6;
}

TEST_F(CliTune, BadInputGivesAOneLineErrorNamingTheField) {
  // space.toml: a parameter without an upper bound names the file and the parameter.
  write_file(file("bad_space.toml"), "[[param]]\nname = \"lr\"\nlower = 0.1\n");
  auto [c1, o1] = run_command(reco("tune propose --space " + file("bad_space.toml") + " --log " + file("x.jsonl")));
  EXPECT_NE(c1, 0);
  EXPECT_NE(o1.find("bad_space.toml"), std::string::npos) << o1;
  EXPECT_NE(o1.find("needs name, lower and upper"), std::string::npos) << o1;
  // TOML syntax error: file:line.
  write_file(file("bad_syntax.toml"), "[[param]]\nname = \"lr\"\nlower = = 1\n");
  auto [c2, o2] = run_command(reco("tune propose --space " + file("bad_syntax.toml") + " --log " + file("y.jsonl")));
  EXPECT_NE(c2, 0);
  EXPECT_NE(o2.find("bad_syntax.toml:3"), std::string::npos) << o2;
  // Unknown head in a constraint; unknown metric in the objective.
  auto [c3, o3] = run_command(reco("tune utility --model " + file("mt.model") + " --data " + file("samples.dataset") +
                                   " --objective pr_auc:buy --constraint 'auc:click>=0.9*baseline' --log " +
                                   file("z.jsonl")));
  EXPECT_NE(c3, 0);
  EXPECT_NE(o3.find("no head 'click'"), std::string::npos) << o3;
  EXPECT_NE(o3.find("pv"), std::string::npos) << o3;
  auto [c4, o4] = run_command(reco("tune utility --model " + file("mt.model") + " --data " + file("samples.dataset") +
                                   " --objective logloss:buy --log " + file("z.jsonl")));
  EXPECT_NE(c4, 0);
  EXPECT_NE(o4.find("logloss:buy"), std::string::npos) << o4;
  // Bounds for a head the model lacks.
  auto [c5, o5] = run_command(reco("tune utility --model " + file("mt.model") + " --data " + file("samples.dataset") +
                                   " --objective pr_auc:buy --bounds save=0:1 --log " + file("z.jsonl")));
  EXPECT_NE(c5, 0);
  EXPECT_NE(o5.find("no head 'save'"), std::string::npos) << o5;
  // A corrupt record before the last line of a log: file:line.
  auto [c6, o6] = tune("c.jsonl", "-q --trials 3");
  ASSERT_EQ(c6, 0) << o6;
  auto lines = lines_of(read_file(file("c.jsonl")));
  lines[2] = "{\"id\": oops}";
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  write_file(file("c.jsonl"), text);
  auto [c7, o7] = tune("c.jsonl", "-q --trials 4");
  EXPECT_NE(c7, 0);
  EXPECT_NE(o7.find("c.jsonl:3"), std::string::npos) << o7;
}

TEST_F(CliTune, TrainTunerRunsTrialsFromConfigKeysAndResumes) {
  write_file(file("hp.toml"), R"([[param]]
name = "optimizer.lr"
lower = 0.001
upper = 0.05
scale = "log"
[[param]]
name = "model.embedding_dim"
lower = 2
upper = 8
scale = "int"
)");
  const std::string cmd = "--threads 1 --seed 3 tune train --config " + file("mt.toml") + " --space " + file("hp.toml") +
                          " --objective buy/auc --log " + file("hp.jsonl") + " --work-dir " + file("hp") +
                          " --json --write-config " + file("best.toml");
  auto [c1, o1] = run_command(reco(cmd + " --trials 4"));
  ASSERT_EQ(c1, 0) << o1;
  const auto j = nlohmann::json::parse(o1);
  ASSERT_FALSE(j["best"].is_null()) << o1;
  // Each trial's config carries its own values (dims as integers); the best is the trial with
  // the largest validation buy/auc in its own train report.
  double best_auc = -1;
  for (int id = 0; id < 4; ++id) {
    const std::string cfg = read_file(file("hp/trial" + std::to_string(id) + ".toml"));
    const auto report = nlohmann::json::parse(read_file(file("hp/trial" + std::to_string(id) + ".json")));
    ASSERT_TRUE(report.contains("epochs")) << id;
    EXPECT_NE(cfg.find("embedding_dim = "), std::string::npos) << cfg;
    for (const auto& e : report["epochs"])
      if (e["epoch"] == report["best_epoch"]) best_auc = std::max(best_auc, e["metrics"]["buy/auc"].get<double>());
  }
  EXPECT_DOUBLE_EQ(j["best"]["metrics"]["buy/auc"].get<double>(), best_auc);
  const double lr = j["best"]["params"]["optimizer.lr"], dim = j["best"]["params"]["model.embedding_dim"];
  EXPECT_TRUE(lr >= 0.001 && lr <= 0.05) << lr;
  EXPECT_TRUE(dim >= 2 && dim <= 8 && dim == std::round(dim)) << dim;
  EXPECT_NE(read_file(file("best.toml")).find(fmt_int("embedding_dim = ", dim)), std::string::npos);
  // Resume: two more trials; the four finished ones keep their single complete record.
  auto [c2, o2] = run_command(reco(cmd + " --trials 6"));
  ASSERT_EQ(c2, 0) << o2;
  std::map<int64_t, int> completes;
  const auto lines = lines_of(read_file(file("hp.jsonl")));
  for (size_t i = 1; i < lines.size(); ++i) {
    const auto r = nlohmann::json::parse(lines[i]);
    if (r["status"] == "complete") ++completes[r["id"].get<int64_t>()];
  }
  ASSERT_EQ(completes.size(), 6u);
  for (const auto& [id, n] : completes) EXPECT_EQ(n, 1) << "trial " << id;
  // A parameter whose dotted key runs through a value: an error naming it.
  write_file(file("hp_bad.toml"), "[[param]]\nname = \"data.path.x\"\nlower = 0\nupper = 1\n");
  auto [c3, o3] = run_command(reco("tune train --config " + file("mt.toml") + " --space " + file("hp_bad.toml") +
                                   " --objective auc --trials 1 --log " + file("bad.jsonl")));
  EXPECT_NE(c3, 0);
  EXPECT_NE(o3.find("data.path.x"), std::string::npos) << o3;
}

}  // namespace
}  // namespace reco
