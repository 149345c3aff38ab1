// Trainer: bit-for-bit reproducibility (threads 1, and a fixed N > 1), shard equivalence of
// one step across thread counts, checkpoint/resume equal to a straight run, early stopping
// with keep_best restoring the best epoch's weights.
#include <gtest/gtest.h>

#include <filesystem>

#include "reco/models/model_file.h"
#include "reco/train/batch_reader.h"
#include "testing/testing.h"
#include "train_fixture.h"

namespace reco::train {
namespace {

using namespace reco::train::testing;
using reco::testing::TempDir;

TrainOptions adagrad_options(int epochs) {
  TrainOptions o;
  o.batch_size = 64;
  o.epochs = epochs;
  o.optimizer.kind = optim::OptimizerKind::kAdagrad;
  o.optimizer.schedule.base = 0.05f;
  return o;
}

struct Run {
  std::vector<std::vector<float>> initial;
  std::vector<std::vector<float>> weights;
  TrainReport report;
};

Run train_once(const Dataset& ds, const models::ModelSpec& spec, const TrainOptions& options, int threads,
               uint64_t seed) {
  models::CtrModel model(spec, models::resolve_features({}, ds));
  model.init(seed);
  Run r;
  r.initial = weights_of(model);
  Trainer trainer(model, options, quiet_ctx(threads, seed));
  r.report = trainer.fit(ds, split_rows(ds, 0), split_rows(ds, 1));
  r.weights = weights_of(model);
  return r;
}

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("small.dataset");
    generate(small_spec(), path_);
  }
  TempDir dir_;
  std::string path_;
};

TEST_F(TrainerTest, OneThreadIsReproducibleBitForBit) {
  Dataset ds = Dataset::open(path_);
  models::ModelSpec spec = small_dlrm();
  spec.dropout = 0.1f;  // the dropout stream must be seeded too
  const auto a = train_once(ds, spec, adagrad_options(2), 1, 11);
  const auto b = train_once(ds, spec, adagrad_options(2), 1, 11);
  EXPECT_FALSE(bit_identical(a.initial, a.weights)) << "training did not change the weights";
  EXPECT_TRUE(bit_identical(a.weights, b.weights));
  ASSERT_EQ(a.report.epochs.size(), 2u);
  EXPECT_EQ(a.report.epochs[1].metrics.at("auc"), b.report.epochs[1].metrics.at("auc"));
  // A different seed gives different weights (the comparison above can fail).
  const auto c = train_once(ds, spec, adagrad_options(2), 1, 12);
  EXPECT_FALSE(bit_identical(a.weights, c.weights));
}

TEST_F(TrainerTest, TwoThreadsAreReproducibleRunToRun) {
  Dataset ds = Dataset::open(path_);
  const auto a = train_once(ds, small_dlrm(), adagrad_options(2), 2, 11);
  const auto b = train_once(ds, small_dlrm(), adagrad_options(2), 2, 11);
  EXPECT_FALSE(bit_identical(a.initial, a.weights));
  EXPECT_TRUE(bit_identical(a.weights, b.weights));
  // And close to the one-thread run (same math, another summation order).
  const auto one = train_once(ds, small_dlrm(), adagrad_options(2), 1, 11);
  EXPECT_LT(max_abs_diff(one.weights, a.weights), 1e-3);
}

// One SGD step on one batch: the shards of 2 or 3 threads must sum to the 1-thread gradient.
TEST_F(TrainerTest, ShardedStepMatchesOneThread) {
  Dataset ds = Dataset::open(path_);
  for (auto kind : {models::ModelKind::kDlrm, models::ModelKind::kWideDeep}) {
    models::ModelSpec spec = small_dlrm();
    spec.kind = kind;
    const auto features = models::resolve_features({}, ds);
    BatchReader reader(ds, features, true);
    std::vector<uint64_t> rows;
    for (uint64_t i = 0; i < 101; ++i) rows.push_back(i * 7);
    models::Batch batch;
    reader.fill(rows, batch);
    TrainOptions o;
    o.optimizer.kind = optim::OptimizerKind::kSgd;
    o.optimizer.schedule.base = 1.0f;  // the weight change is the gradient itself
    std::vector<std::vector<float>> before, after[4];
    double losses[4] = {};
    for (int threads : {1, 2, 3}) {
      models::CtrModel model(spec, features);
      model.init(21);
      before = weights_of(model);
      Trainer trainer(model, o, quiet_ctx(threads, 21));
      losses[threads] = trainer.step(batch);
      after[threads] = weights_of(model);
    }
    EXPECT_GT(max_abs_diff(before, after[1]), 1e-4) << "the step changed nothing";
    for (int threads : {2, 3}) {
      EXPECT_NEAR(losses[threads], losses[1], 1e-6);
      // Compare the gradient (before - after) elementwise.
      for (size_t i = 0; i < before.size(); ++i)
        for (size_t j = 0; j < before[i].size(); ++j) {
          const double g1 = before[i][j] - after[1][i][j];
          const double gn = before[i][j] - after[threads][i][j];
          ASSERT_NEAR(gn, g1, 1e-5 + 1e-4 * std::abs(g1)) << "threads " << threads << " param " << i << "[" << j << "]";
        }
    }
  }
}

// Plain SGD applies each lookup's gradient to its table row directly (no RowGrad); SGD with
// momentum goes through the coalesced RowGrad, and its first step is the same update
// (b = g, w -= lr * b). One step of each must agree: dense weights bit for bit, tables to the
// rounding of duplicate ids.
TEST_F(TrainerTest, PlainSgdTableUpdateMatchesTheCoalescedPath) {
  Dataset ds = Dataset::open(path_);
  const auto features = models::resolve_features({}, ds);
  BatchReader reader(ds, features, true);
  std::vector<uint64_t> rows;
  for (uint64_t i = 0; i < 150; ++i) rows.push_back(i * 3);
  models::Batch batch;
  reader.fill(rows, batch);
  for (int threads : {1, 2}) {
    std::vector<std::vector<float>> before, after[2];
    for (int momentum : {0, 1}) {
      models::CtrModel model(small_dlrm(), features);
      model.init(5);
      before = weights_of(model);
      TrainOptions o;
      o.optimizer.kind = optim::OptimizerKind::kSgd;
      o.optimizer.schedule.base = 0.5f;
      o.optimizer.momentum = momentum ? 0.9f : 0.0f;
      Trainer trainer(model, o, quiet_ctx(threads, 5));
      trainer.step(batch);
      after[momentum] = weights_of(model);
    }
    const size_t dense = models::CtrModel(small_dlrm(), features).dense_parameters().size();
    EXPECT_GT(max_abs_diff(before, after[0]), 1e-4) << "the step changed nothing";
    for (size_t i = 0; i < before.size(); ++i)
      for (size_t j = 0; j < before[i].size(); ++j) {
        if (i < dense) {
          ASSERT_EQ(after[0][i][j], after[1][i][j]) << "threads " << threads << " param " << i << "[" << j << "]";
        } else {
          const double change = before[i][j] - after[1][i][j];
          ASSERT_NEAR(before[i][j] - after[0][i][j], change, 1e-7 + 1e-5 * std::abs(change))
              << "threads " << threads << " table " << i << "[" << j << "]";
        }
      }
  }
}

class ResumeTest : public TrainerTest, public ::testing::WithParamInterface<float> {};

TEST_P(ResumeTest, FromCheckpointEqualsStraightRun) {
  Dataset ds = Dataset::open(path_);
  models::ModelSpec spec = small_dlrm();
  spec.dropout = GetParam();  // with dropout, the resumed run must draw the same masks
  const auto train = split_rows(ds, 0);
  const auto valid = split_rows(ds, 1);
  TrainOptions o = adagrad_options(2);
  o.optimizer.kind = optim::OptimizerKind::kLazyAdam;  // optimizer state must travel in the checkpoint
  o.optimizer.schedule.base = 0.01f;
  o.checkpoint = dir_.file("ckpt.model");
  const std::string epoch1 = dir_.file("epoch1.model");

  models::CtrModel straight(spec, models::resolve_features({}, ds));
  straight.init(5);
  {
    Trainer trainer(straight, o, quiet_ctx(1, 5));
    // on_epoch runs before that epoch's checkpoint is written: at epoch 2 the file holds epoch 1.
    auto report = trainer.fit(ds, train, valid, [&](const EpochReport& e) {
      if (e.epoch == 2) std::filesystem::copy_file(o.checkpoint, epoch1);
    });
    ASSERT_EQ(report.epochs.size(), 2u);
  }
  ASSERT_TRUE(std::filesystem::exists(epoch1));
  auto ckpt = models::load_model(epoch1);
  ASSERT_TRUE(ckpt.train_state.has_value());
  EXPECT_EQ(ckpt.train_state->at("epoch").get<int>(), 1);

  TrainOptions r = o;
  r.checkpoint = "";
  r.resume = epoch1;
  models::CtrModel resumed(spec, models::resolve_features({}, ds));
  resumed.init(999);  // weights come from the checkpoint
  Trainer trainer(resumed, r, quiet_ctx(1, 5));
  auto report = trainer.fit(ds, train, valid);
  ASSERT_EQ(report.epochs.size(), 1u);
  EXPECT_EQ(report.epochs[0].epoch, 2);
  EXPECT_EQ(trainer.steps_done(), static_cast<int64_t>(2 * ((train.size() + 63) / 64)));
  EXPECT_TRUE(bit_identical(weights_of(straight), weights_of(resumed)));
  // The final checkpoint of the straight run equals its final weights too.
  auto last = models::load_model(o.checkpoint);
  EXPECT_TRUE(bit_identical(weights_of(last.model), weights_of(straight)));
}

INSTANTIATE_TEST_SUITE_P(Dropout, ResumeTest, ::testing::Values(0.0f, 0.2f));

// Labels independent of the features: validation AUC wanders around 0.5, so with patience 1
// an epoch without improvement comes early and keep_best must restore the best epoch.
TEST_F(TrainerTest, EarlyStoppingKeepsTheBestEpoch) {
  RandomDatasetSpec spec = small_spec(3000, 8);
  spec.label_mode = LabelMode::kRate;
  const std::string noise = dir_.file("noise.dataset");
  generate(spec, noise);
  Dataset ds = Dataset::open(noise);
  const auto train = split_rows(ds, 0);
  const auto valid = split_rows(ds, 1);
  TrainOptions o = adagrad_options(12);
  o.optimizer.schedule.base = 0.2f;
  o.patience = 1;
  o.keep_best = true;
  models::CtrModel model(small_dlrm(), models::resolve_features({}, ds));
  model.init(3);
  Trainer trainer(model, o, quiet_ctx(1, 3));
  auto report = trainer.fit(ds, train, valid);
  ASSERT_TRUE(report.stopped_early);
  ASSERT_LT(report.epochs.size(), 12u);
  ASSERT_GE(report.epochs.size(), 2u);
  // best_epoch is the argmax of the monitored metric, and the run stopped patience epochs later.
  int best = 1;
  for (const auto& e : report.epochs)
    if (e.metrics.at("auc") > report.epochs[best - 1].metrics.at("auc")) best = e.epoch;
  EXPECT_EQ(report.best_epoch, best);
  EXPECT_EQ(static_cast<int>(report.epochs.size()), best + o.patience);
  const double best_auc = report.epochs[best - 1].metrics.at("auc");
  const double last_auc = report.epochs.back().metrics.at("auc");
  EXPECT_NE(best_auc, last_auc);
  // The model now holds the best epoch's weights: re-evaluating reproduces its metric.
  auto predictions = trainer.predict(ds, valid);
  eval::MetricSet set({"auc"});
  const auto labels = ds.f32("label");
  for (size_t i = 0; i < valid.size(); ++i) set.add(predictions[i], labels[valid[i]]);
  EXPECT_EQ(set.values().at("auc"), best_auc);

  // keep_best = false leaves the last epoch's weights.
  o.keep_best = false;
  models::CtrModel last(small_dlrm(), models::resolve_features({}, ds));
  last.init(3);
  Trainer t2(last, o, quiet_ctx(1, 3));
  auto r2 = t2.fit(ds, train, valid);
  auto p2 = t2.predict(ds, valid);
  eval::MetricSet s2({"auc"});
  for (size_t i = 0; i < valid.size(); ++i) s2.add(p2[i], labels[valid[i]]);
  EXPECT_EQ(s2.values().at("auc"), r2.epochs.back().metrics.at("auc"));
}

// keep_best across a resume: when the checkpoint's epoch is the best so far, the resumed
// run must still end on those weights if no later epoch beats it.
TEST_F(TrainerTest, ResumeKeepsTheBestEpochOfTheCheckpoint) {
  RandomDatasetSpec spec = small_spec(3000, 8);
  spec.label_mode = LabelMode::kRate;  // AUC wanders: the best epoch is rarely the last
  const std::string noise = dir_.file("noise.dataset");
  generate(spec, noise);
  Dataset ds = Dataset::open(noise);
  const auto train = split_rows(ds, 0);
  const auto valid = split_rows(ds, 1);
  TrainOptions o = adagrad_options(6);
  o.optimizer.schedule.base = 0.2f;
  o.keep_best = true;
  o.checkpoint = dir_.file("ckpt.model");
  const std::string saved = dir_.file("best.model");

  models::CtrModel straight(small_dlrm(), models::resolve_features({}, ds));
  straight.init(3);
  Trainer t1(straight, o, quiet_ctx(1, 3));
  // First pass: find the best epoch (no copies yet).
  TrainReport first = t1.fit(ds, train, valid);
  const int best = first.best_epoch;
  ASSERT_LT(best, 6) << "this draw's best epoch is the last one; pick another seed";

  // Second, identical run that keeps the checkpoint of the best epoch.
  models::CtrModel again(small_dlrm(), models::resolve_features({}, ds));
  again.init(3);
  Trainer t2(again, o, quiet_ctx(1, 3));
  t2.fit(ds, train, valid, [&](const EpochReport& e) {
    if (e.epoch == best + 1) std::filesystem::copy_file(o.checkpoint, saved);
  });
  EXPECT_TRUE(bit_identical(weights_of(straight), weights_of(again)));
  ASSERT_TRUE(std::filesystem::exists(saved));

  TrainOptions r = o;
  r.checkpoint = "";
  r.resume = saved;
  models::CtrModel resumed(small_dlrm(), models::resolve_features({}, ds));
  resumed.init(99);
  Trainer t3(resumed, r, quiet_ctx(1, 3));
  TrainReport rep = t3.fit(ds, train, valid);
  EXPECT_EQ(rep.best_epoch, best);
  EXPECT_TRUE(bit_identical(weights_of(straight), weights_of(resumed)))
      << "the resumed run did not end on the best epoch's weights";
}

TEST_F(TrainerTest, MaxStepsStopsTraining) {
  Dataset ds = Dataset::open(path_);
  TrainOptions o = adagrad_options(3);
  o.max_steps = 5;
  models::CtrModel model(small_dlrm(), models::resolve_features({}, ds));
  model.init(1);
  Trainer trainer(model, o, quiet_ctx(1, 1));
  auto report = trainer.fit(ds, split_rows(ds, 0), split_rows(ds, 1));
  EXPECT_EQ(trainer.steps_done(), 5);
  ASSERT_EQ(report.epochs.size(), 1u);
  EXPECT_EQ(report.epochs[0].steps, 5);
}

}  // namespace
}  // namespace reco::train
