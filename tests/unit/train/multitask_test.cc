// Multi-task training end to end on a dataset with planted teachers: two tasks whose
// log-odds share a component (so sharing helps) and a third, funnel-style "conversion"
// label that exists only on clicked rows (ESMM). Checks learning against the teachers' AUC,
// masks, the chained ESMM probabilities, uncertainty weighting, determinism, and the
// config round trip through the model file.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "reco/data/dataset.h"
#include "reco/eval/metric_set.h"
#include "reco/models/model_file.h"
#include "reco/train/task_metrics.h"
#include "reco/train/train_config.h"
#include "reco/train/trainer.h"
#include "testing/testing.h"
#include "unit/train/train_fixture.h"

namespace reco::train {
namespace {

using testing::quiet_ctx;
using testing::split_rows;

struct Planted {
  std::string path;
  std::map<std::string, double> teacher_auc;  // on validation rows
};

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// rows x (3 dense + 2 categorical); labels click, save (share a term), conversion (only
// meaningful where click = 1; the mask column "clicked" marks those rows).
Planted make_planted(const std::string& path, uint64_t rows) {
  Rng rng(77);
  const uint32_t na = 40, nb = 25;
  std::vector<double> ea(na), eb(nb), ec(nb);
  for (auto& v : ea) v = 1.5 * (rng.uniform() - 0.5) * 2;
  for (auto& v : eb) v = 1.5 * (rng.uniform() - 0.5) * 2;
  for (auto& v : ec) v = 1.5 * (rng.uniform() - 0.5) * 2;
  std::vector<float> d0(rows), d1(rows), d2(rows), click(rows), save(rows), conv(rows), clicked(rows);
  std::vector<uint32_t> a(rows), b(rows);
  std::vector<uint8_t> split(rows);
  std::vector<double> p_click(rows), p_save(rows), p_conv(rows);
  for (uint64_t r = 0; r < rows; ++r) {
    d0[r] = static_cast<float>(rng.normal());
    d1[r] = static_cast<float>(rng.normal());
    d2[r] = static_cast<float>(rng.normal());
    a[r] = static_cast<uint32_t>(rng.below(na));
    b[r] = static_cast<uint32_t>(rng.below(nb));
    const double shared = 1.2 * d0[r] + ea[a[r]];
    p_click[r] = sigmoid(shared + 0.8 * d1[r] + eb[b[r]] - 0.5);
    p_save[r] = sigmoid(shared - 1.0 * d2[r] - 1.0);
    p_conv[r] = sigmoid(1.5 * d1[r] + ec[b[r]] - 0.3);
    click[r] = rng.uniform() < p_click[r] ? 1.0f : 0.0f;
    save[r] = rng.uniform() < p_save[r] ? 1.0f : 0.0f;
    conv[r] = click[r] > 0 && rng.uniform() < p_conv[r] ? 1.0f : 0.0f;
    clicked[r] = click[r];
    const uint64_t m = r % 10;
    split[r] = m < 8 ? 0 : m == 8 ? 1 : 2;
  }
  DatasetWriter w(path);
  w.set_rows(rows);
  auto dense = [&](const char* n, const std::vector<float>& v, ColumnRole role) {
    ColumnInfo c;
    c.name = n;
    c.role = role;
    w.add_f32(c, v);
  };
  dense("d0", d0, ColumnRole::kDense);
  dense("d1", d1, ColumnRole::kDense);
  dense("d2", d2, ColumnRole::kDense);
  ColumnInfo ca;
  ca.name = "a";
  ca.role = ColumnRole::kCategorical;
  ca.cardinality = na;
  w.add_u32(ca, a);
  ColumnInfo cb = ca;
  cb.name = "b";
  cb.cardinality = nb;
  w.add_u32(cb, b);
  dense("click", click, ColumnRole::kLabel);
  dense("save", save, ColumnRole::kLabel);
  dense("conversion", conv, ColumnRole::kLabel);
  dense("clicked", clicked, ColumnRole::kLabel);
  w.set_split(split);
  w.commit();

  Planted out{path, {}};
  eval::MetricSet sc({"auc"}), ss({"auc"}), sv({"auc"}), sctcvr({"auc"});
  for (uint64_t r = 0; r < rows; ++r) {
    if (split[r] != 1) continue;
    sc.add(p_click[r], click[r]);
    ss.add(p_save[r], save[r]);
    if (click[r] > 0) sv.add(p_conv[r], conv[r]);
    sctcvr.add(p_click[r] * p_conv[r], conv[r]);
  }
  out.teacher_auc = {{"click", sc.values().at("auc")},
                     {"save", ss.values().at("auc")},
                     {"conversion", sv.values().at("auc")},
                     {"ctcvr", sctcvr.values().at("auc")}};
  return out;
}

class MultiTaskTrainTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new reco::testing::TempDir();
    planted_ = new Planted(make_planted(dir_->file("planted.dataset"), 20000));
  }
  static void TearDownTestSuite() {
    delete planted_;
    delete dir_;
  }

  TrainConfig config(const std::string& model_toml, const std::string& tasks_toml, int epochs = 6) {
    const std::string text = "[data]\npath = \"" + planted_->path + "\"\n" + tasks_toml + "[model]\n" + model_toml +
                             "[optimizer]\nkind = \"lazy_adam\"\nlr = 0.01\n[train]\nbatch_size = 128\nepochs = " +
                             std::to_string(epochs) + "\nmetrics = [\"auc\", \"logloss\"]\n";
    return parse_train_config(text, "test.toml", "");
  }

  std::map<std::string, double> train_and_eval(const TrainConfig& cfg, int threads, models::CtrModel** out = nullptr) {
    Dataset ds = Dataset::open(cfg.data_path);
    auto features = models::resolve_features(cfg.features, ds);
    auto* model = new models::CtrModel(cfg.model, features);
    model->init(cfg.seed);
    Trainer trainer(*model, cfg.train, quiet_ctx(threads, cfg.seed));
    const auto train_rows = split_rows(ds, 0), eval_rows = split_rows(ds, 1);
    auto report = trainer.fit(ds, train_rows, eval_rows);
    auto metrics = report.epochs.at(report.best_epoch - 1).metrics;
    if (out) {
      *out = model;
    } else {
      delete model;
    }
    return metrics;
  }

  static reco::testing::TempDir* dir_;
  static Planted* planted_;
};
reco::testing::TempDir* MultiTaskTrainTest::dir_ = nullptr;
Planted* MultiTaskTrainTest::planted_ = nullptr;

const char* kTwoTasks = "[[task]]\nname = \"click\"\nlabel = \"click\"\n[[task]]\nname = \"save\"\nlabel = \"save\"\n";

TEST_F(MultiTaskTrainTest, TeachersAreInformative) {
  EXPECT_GT(planted_->teacher_auc.at("click"), 0.75);
  EXPECT_GT(planted_->teacher_auc.at("save"), 0.75);
}

TEST_F(MultiTaskTrainTest, SharedBottomLearnsBothTasks) {
  auto m = train_and_eval(config("kind = \"mlp\"\nhead = \"shared_bottom\"\nembedding_dim = 4\nshared = [16]\ntower = [8, 1]\n",
                                 kTwoTasks),
                          2);
  EXPECT_GT(m.at("click/auc"), planted_->teacher_auc.at("click") - 0.02);
  EXPECT_GT(m.at("save/auc"), planted_->teacher_auc.at("save") - 0.02);
  EXPECT_NEAR(m.at("auc"), (m.at("click/auc") + m.at("save/auc")) / 2, 1e-12);
}

TEST_F(MultiTaskTrainTest, MmoeLearnsBothTasksAndGatesDiffer) {
  models::CtrModel* model = nullptr;
  auto m = train_and_eval(
      config("kind = \"mlp\"\nhead = \"mmoe\"\nembedding_dim = 4\nexperts = 4\nexpert = [12]\ntower = [8, 1]\n",
             kTwoTasks),
      2, &model);
  std::unique_ptr<models::CtrModel> owned(model);
  EXPECT_GT(m.at("click/auc"), planted_->teacher_auc.at("click") - 0.02);
  EXPECT_GT(m.at("save/auc"), planted_->teacher_auc.at("save") - 0.02);
  Dataset ds = Dataset::open(planted_->path);
  const auto gates = mean_gate_weights(*model, ds, split_rows(ds, 1), quiet_ctx(2, 1));
  ASSERT_EQ(gates.size(), 2u);
  ASSERT_EQ(gates[0].size(), 4u);
  for (const auto& g : gates) {
    double sum = 0.0;
    for (double v : g) sum += v;
    EXPECT_NEAR(sum, 1.0, 1e-6);
  }
}

TEST_F(MultiTaskTrainTest, EsmmLearnsCtrAndCtcvrOverAllImpressions) {
  const char* tasks = "[[task]]\nname = \"ctr\"\nlabel = \"click\"\n[[task]]\nname = \"ctcvr\"\nlabel = \"conversion\"\n";
  auto cfg = config("kind = \"mlp\"\nhead = \"esmm\"\nembedding_dim = 4\ntower = [16, 1]\n", tasks);
  models::CtrModel* model = nullptr;
  auto m = train_and_eval(cfg, 1, &model);
  std::unique_ptr<models::CtrModel> owned(model);
  EXPECT_GT(m.at("ctr/auc"), planted_->teacher_auc.at("click") - 0.02);
  EXPECT_GT(m.at("ctcvr/auc"), planted_->teacher_auc.at("ctcvr") - 0.03);
  // Chained outputs: p_ctcvr <= p_ctr on every row, and their ratio is the pCVR head.
  Dataset ds = Dataset::open(planted_->path);
  const auto rows = split_rows(ds, 1);
  const auto p = predict_rows(*model, ds, rows, quiet_ctx(1, 1));
  ASSERT_EQ(p.size(), rows.size() * 2);
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_LE(p[2 * i + 1], p[2 * i]);
  // The conditional head ranks conversions among clicked rows (pCVR = pCTCVR / pCTR).
  eval::MetricSet cvr({"auc"});
  const auto click = ds.f32("click"), conv = ds.f32("conversion");
  for (size_t i = 0; i < rows.size(); ++i)
    if (click[rows[i]] > 0) cvr.add(p[2 * i + 1] / p[2 * i], conv[rows[i]]);
  EXPECT_GT(cvr.values().at("auc"), planted_->teacher_auc.at("conversion") - 0.04);
}

TEST_F(MultiTaskTrainTest, MaskRemovesRowsFromOneTaskOnly) {
  const char* tasks =
      "[[task]]\nname = \"ctr\"\nlabel = \"click\"\n[[task]]\nname = \"cvr\"\nlabel = \"conversion\"\nmask = "
      "\"clicked\"\n";
  auto cfg = config("kind = \"mlp\"\nhead = \"shared_bottom\"\nembedding_dim = 4\nshared = [16]\ntower = [8, 1]\n",
                    tasks, 4);
  models::CtrModel* model = nullptr;
  auto m = train_and_eval(cfg, 2, &model);
  std::unique_ptr<models::CtrModel> owned(model);
  EXPECT_GT(m.at("cvr/auc"), planted_->teacher_auc.at("conversion") - 0.04);
  // Evaluation counts only clicked rows for cvr and every row for ctr.
  Dataset ds = Dataset::open(planted_->path);
  const auto rows = split_rows(ds, 1);
  const auto p = predict_rows(*model, ds, rows, quiet_ctx(1, 1));
  const auto tm = evaluate_predictions({"auc"}, p, ds, model->features(), rows);
  const auto clicked = ds.f32("clicked");
  uint64_t n_clicked = 0;
  for (auto r : rows) n_clicked += clicked[r] > 0;
  EXPECT_EQ(tm.sets[0].count(), rows.size());
  EXPECT_EQ(tm.sets[1].count(), n_clicked);
  EXPECT_EQ(tm.sets[1].masked(), rows.size() - n_clicked);
}

TEST_F(MultiTaskTrainTest, OneThreadIsBitForBitReproducible) {
  auto cfg = config("kind = \"mlp\"\nhead = \"mmoe\"\nembedding_dim = 4\nexperts = 3\nexpert = [8]\ntower = [4, 1]\n"
                    "task_weighting = \"uncertainty\"\n",
                    kTwoTasks, 1);
  models::CtrModel *a = nullptr, *b = nullptr;
  train_and_eval(cfg, 1, &a);
  train_and_eval(cfg, 1, &b);
  std::unique_ptr<models::CtrModel> oa(a), ob(b);
  EXPECT_EQ(testing::weights_of(*a), testing::weights_of(*b));
}

TEST_F(MultiTaskTrainTest, UncertaintyWeightingLearnsLogVariances) {
  auto cfg = config("kind = \"mlp\"\nhead = \"shared_bottom\"\nembedding_dim = 4\nshared = [16]\ntower = [8, 1]\n"
                    "task_weighting = \"uncertainty\"\n",
                    kTwoTasks, 3);
  models::CtrModel* model = nullptr;
  auto m = train_and_eval(cfg, 2, &model);
  std::unique_ptr<models::CtrModel> owned(model);
  const nn::Parameter* s = model->task_log_variance();
  ASSERT_NE(s, nullptr);
  // At the optimum exp(-s_t) = 1 / (2 L_t): with losses around 0.4-0.6, s_t moves from 0
  // toward log(2 L_t) ~ -0.2..0.2, i.e. off zero, and stays finite.
  for (size_t t = 0; t < 2; ++t) {
    EXPECT_TRUE(std::isfinite(s->value.at(0, t)));
    EXPECT_NE(s->value.at(0, t), 0.0f);
  }
  EXPECT_GT(m.at("auc"), 0.75);
}

TEST_F(MultiTaskTrainTest, ModelFileRoundTripScoresIdentically) {
  auto cfg = config("kind = \"mlp\"\nhead = \"mmoe\"\nembedding_dim = 4\nexperts = 2\nexpert = [8]\ntower = [4, 1]\n",
                    kTwoTasks, 1);
  models::CtrModel* model = nullptr;
  train_and_eval(cfg, 2, &model);
  std::unique_ptr<models::CtrModel> owned(model);
  const std::string path = dir_->file("mmoe.model");
  models::save_model(path, *model, {});
  auto loaded = models::load_model(path);
  EXPECT_EQ(loaded.model.spec().head, models::HeadKind::kMmoe);
  EXPECT_EQ(loaded.model.features().task_names(), (std::vector<std::string>{"click", "save"}));
  Dataset ds = Dataset::open(planted_->path);
  const auto rows = split_rows(ds, 2);
  EXPECT_EQ(predict_rows(*model, ds, rows, quiet_ctx(2, 1)), predict_rows(loaded.model, ds, rows, quiet_ctx(2, 1)));
}

TEST(MultiTaskConfig, ErrorsNameTheProblem) {
  auto expect_error = [](const std::string& text, const std::string& needle) {
    try {
      parse_train_config(text, "cfg.toml", "");
      ADD_FAILURE() << "no error for: " << text;
    } catch (const Error& e) {
      EXPECT_NE(e.message().find(needle), std::string::npos) << e.message();
    }
  };
  const std::string data = "[data]\npath = \"x\"\n";
  expect_error(data + "[[task]]\nname = \"a\"\n", "label");
  expect_error(data + "[[task]]\nlabel = \"a\"\nweight = 2\n", "task.weight");
  expect_error(data + "[[task]]\nlabel = \"a\"\n[[task]]\nlabel = \"b\"\n[model]\nhead = \"single\"\n", "model.head");
  expect_error(data + "[[task]]\nlabel = \"a\"\n[[task]]\nlabel = \"b\"\n[model]\nkind = \"mlp\"\nhead = \"mmoe\"\nexperts = 0\n",
               "experts");
  expect_error(data + "[[task]]\nlabel = \"a\"\n[model]\nkind = \"mlp\"\nhead = \"mmoe\"\ntask_weighting = \"magic\"\n",
               "task_weighting");
  expect_error("[data]\npath = \"x\"\nlabel = \"y\"\n[[task]]\nlabel = \"a\"\n", "not both");
  // Defaults: two tasks without a head become a shared-bottom model.
  auto cfg = parse_train_config(data + "[[task]]\nlabel = \"a\"\n[[task]]\nlabel = \"b\"\nloss_weight = 2.5\n"
                                       "[model]\nkind = \"mlp\"\n",
                                "cfg.toml", "");
  EXPECT_EQ(cfg.model.head, models::HeadKind::kSharedBottom);
  ASSERT_EQ(cfg.features.tasks.size(), 2u);
  EXPECT_EQ(cfg.features.tasks[1].name, "b");
  EXPECT_FLOAT_EQ(cfg.features.tasks[1].loss_weight, 2.5f);
}

}  // namespace
}  // namespace reco::train
