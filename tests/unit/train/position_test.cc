// Position bias end to end on planted logs: requests of K items ranked by a "previous model"
// that leans on a feature (`pop`) unrelated to relevance, examination 1/position, clicks ~
// Bernoulli(exam · relevance), and a random-order slice. Checks the batch reader's position
// ids (logged, zeroed, dropout), the propensity estimate against the planted 1/p curve, the
// inverse propensity weights, and that every method ranks the test requests closer to the TRUE
// relevance than the same model trained without position handling.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "reco/data/dataset.h"
#include "reco/eval/metric_set.h"
#include "reco/train/batch_reader.h"
#include "reco/train/position_propensity.h"
#include "reco/train/train_config.h"
#include "reco/train/trainer.h"
#include "testing/testing.h"
#include "unit/train/train_fixture.h"

namespace reco::train {
namespace {

using testing::quiet_ctx;
using testing::split_rows;

constexpr uint32_t kK = 10;
constexpr uint64_t kRequests = 16000;

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// Columns: rel_x, pop (dense), position (i32), random_slice (dense 0/1), request (query_id),
// click (label), true_relevance (label, never a feature).
void make_logs(const std::string& path) {
  Rng rng(2024);
  const uint64_t rows = kRequests * kK;
  std::vector<float> x(rows), pop(rows), slice(rows), click(rows), truth(rows);
  std::vector<int32_t> position(rows);
  std::vector<uint32_t> request(rows);
  std::vector<uint8_t> split(rows);
  std::vector<double> prev(kK);
  std::vector<uint32_t> order(kK);
  for (uint64_t q = 0; q < kRequests; ++q) {
    const bool random = rng.uniform() < 0.15;
    const uint64_t base = q * kK;
    for (uint32_t i = 0; i < kK; ++i) {
      x[base + i] = static_cast<float>(rng.normal());
      pop[base + i] = static_cast<float>(rng.normal());
      truth[base + i] = static_cast<float>(sigmoid(1.5 * x[base + i] - 0.5));
      prev[i] = 0.7 * x[base + i] + 2.0 * pop[base + i] + 0.3 * rng.normal();
    }
    std::iota(order.begin(), order.end(), 0u);
    if (random) {
      for (uint32_t i = kK; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
    } else {
      std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return prev[a] > prev[b]; });
    }
    for (uint32_t rank = 0; rank < kK; ++rank) {
      const uint64_t r = base + order[rank];
      position[r] = static_cast<int32_t>(rank + 1);
      slice[r] = random ? 1.0f : 0.0f;
      click[r] = rng.uniform() < truth[r] / (rank + 1.0) ? 1.0f : 0.0f;
      request[r] = static_cast<uint32_t>(q);
      split[r] = q % 10 < 8 ? 0 : q % 10 == 8 ? 1 : 2;
    }
  }
  DatasetWriter w(path);
  w.set_rows(rows);
  auto f32 = [&](const char* name, const std::vector<float>& v, ColumnRole role) {
    ColumnInfo c;
    c.name = name;
    c.role = role;
    w.add_f32(c, v);
  };
  f32("rel_x", x, ColumnRole::kDense);
  f32("pop", pop, ColumnRole::kDense);
  f32("random_slice", slice, ColumnRole::kDense);
  f32("click", click, ColumnRole::kLabel);
  f32("true_relevance", truth, ColumnRole::kLabel);
  ColumnInfo p;
  p.name = "position";
  p.role = ColumnRole::kPosition;
  p.storage = ColumnStorage::kI32;
  w.add_i32(p, position);
  ColumnInfo rq;
  rq.name = "request";
  rq.role = ColumnRole::kQueryId;
  rq.storage = ColumnStorage::kU32;
  rq.cardinality = static_cast<uint32_t>(kRequests);
  rq.encoding = "identity";
  w.add_u32(rq, request);
  w.set_split(split);
  w.commit();
}

class PositionBiasTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new reco::testing::TempDir();
    make_logs(dir_->file("logs.dataset"));
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string path() { return dir_->file("logs.dataset"); }

  static TrainConfig config(const std::string& position_toml) {
    const std::string text = "[data]\npath = \"" + path() + "\"\ndense = [\"rel_x\", \"pop\"]\nsparse = []\n"
                             "label = \"click\"\n[model]\nkind = \"mlp\"\nembedding_dim = 4\ntop = [16, 1]\n" +
                             position_toml +
                             "[optimizer]\nkind = \"lazy_adam\"\nlr = 0.01\n[train]\nbatch_size = 256\nepochs = 2\n"
                             "metrics = [\"auc\"]\n";
    return parse_train_config(text, "position.toml", "");
  }

  // NDCG@10 of the test requests ranked by the model's (position-zeroed) prediction against
  // the true relevance.
  static double true_ndcg(const std::string& position_toml, models::PositionBias* trained = nullptr) {
    TrainConfig cfg = config(position_toml);
    Dataset ds = Dataset::open(cfg.data_path);
    auto features = models::resolve_features(cfg.features, ds);
    models::CtrModel model(cfg.model, features);
    model.init(7);
    Trainer trainer(model, cfg.train, quiet_ctx(1, 7));
    trainer.fit(ds, split_rows(ds, 0), split_rows(ds, 1));
    if (trained) *trained = model.features().position;
    const auto test = split_rows(ds, 2);
    const auto p = predict_rows(model, ds, test, quiet_ctx(1, 7));
    const auto truth = ds.f32("true_relevance");
    const auto request = ds.u32("request");
    eval::MetricSet set({"ndcg_linear@10"});
    for (size_t i = 0; i < test.size(); ++i) set.add_grouped(request[test[i]], p[i], truth[test[i]]);
    return set.values().at("ndcg_linear@10");
  }

  static reco::testing::TempDir* dir_;
};
reco::testing::TempDir* PositionBiasTest::dir_ = nullptr;

TEST_F(PositionBiasTest, ReaderFeedsLoggedZeroedAndDroppedPositions) {
  TrainConfig cfg = config("[position]\nmethod = \"feature\"\nmax_position = 6\ndropout = 0.25\n");
  Dataset ds = Dataset::open(cfg.data_path);
  auto features = models::resolve_features(cfg.features, ds);
  ASSERT_EQ(features.position.max_position, 6u);
  const auto rows = split_rows(ds, 0);
  const std::span<const uint64_t> some(rows.data(), 20000);
  const auto logged_pos = ds.i32("position");
  models::Batch b;
  BatchReader(ds, features, true).fill(some, b);
  ASSERT_EQ(b.sparse.size(), 1u);  // no sparse features + the position
  for (size_t r = 0; r < some.size(); ++r)
    ASSERT_EQ(b.sparse[0].ids[r], static_cast<uint32_t>(std::min(logged_pos[some[r]], 6)));
  BatchReader(ds, features, true, PositionInput{true, false}).fill(some, b);
  for (uint32_t id : b.sparse[0].ids) ASSERT_EQ(id, 0u);
  BatchReader reader(ds, features, true);
  Rng a(5), a2(5);
  models::Batch b2;
  reader.fill(some, b, &a);
  reader.fill(some, b2, &a2);
  EXPECT_EQ(b.sparse[0].ids, b2.sparse[0].ids) << "the same generator state drops the same rows";
  const double dropped =
      static_cast<double>(std::count(b.sparse[0].ids.begin(), b.sparse[0].ids.end(), 0u)) / some.size();
  EXPECT_NEAR(dropped, 0.25, 0.015);  // 20000 draws: sd 0.003
}

TEST_F(PositionBiasTest, SliceOnlyDropoutDropsUnbiasedRowsOnly) {
  // dropout = 1 on the random slice: every slice row gets id 0, every other row keeps its position.
  TrainConfig cfg =
      config("[position]\nmethod = \"feature\"\nmax_position = 6\ndropout = 1.0\nslice = \"random_slice\"\n");
  Dataset ds = Dataset::open(cfg.data_path);
  auto features = models::resolve_features(cfg.features, ds);
  const auto rows = split_rows(ds, 0);
  const std::span<const uint64_t> some(rows.data(), 20000);
  const auto logged_pos = ds.i32("position");
  const auto slice = ds.f32("random_slice");
  BatchReader reader(ds, features, true);
  EXPECT_TRUE(reader.dropout_slice_ready());
  models::Batch b;
  Rng rng(3);
  reader.fill(some, b, &rng);
  size_t in_slice = 0;
  for (size_t r = 0; r < some.size(); ++r) {
    if (slice[some[r]] != 0.0f) {
      ++in_slice;
      ASSERT_EQ(b.sparse[0].ids[r], 0u) << "row " << some[r];
    } else {
      ASSERT_EQ(b.sparse[0].ids[r], static_cast<uint32_t>(std::min(logged_pos[some[r]], 6))) << "row " << some[r];
    }
  }
  EXPECT_GT(in_slice, some.size() / 20);  // ~15 % of the planted requests are random
  // Rate 0.5 on the slice: about half of the slice rows, still none outside it.
  cfg = config("[position]\nmethod = \"feature\"\nmax_position = 6\ndropout = 0.5\nslice = \"random_slice\"\n");
  features = models::resolve_features(cfg.features, ds);
  BatchReader half(ds, features, true);
  half.fill(some, b, &rng);
  size_t dropped = 0;
  for (size_t r = 0; r < some.size(); ++r) {
    if (slice[some[r]] == 0.0f) {
      ASSERT_NE(b.sparse[0].ids[r], 0u);
    }
    dropped += b.sparse[0].ids[r] == 0u;
  }
  EXPECT_NEAR(static_cast<double>(dropped) / in_slice, 0.5, 0.05);
}

TEST_F(PositionBiasTest, PropensitiesFollowThePlantedCurve) {
  TrainConfig cfg = config("[position]\nmethod = \"ipw\"\nslice = \"random_slice\"\n");
  Dataset ds = Dataset::open(cfg.data_path);
  auto features = models::resolve_features(cfg.features, ds);
  const auto est = estimate_propensities(ds, features, split_rows(ds, 0));
  EXPECT_GT(est.slice_rows, 15000u);
  ASSERT_EQ(est.theta.size(), 1u);
  ASSERT_EQ(est.theta[0].size(), kK + 1);
  for (uint32_t p = 2; p <= 4; ++p) EXPECT_NEAR(est.theta[0][p], 1.0 / p, 0.25 / p) << "position " << p;
  EXPECT_LT(est.theta[0][kK], est.theta[0][2]);

  // Positives weigh 1/θ, negatives 1.
  models::CtrModel model(cfg.model, features);
  model.set_position_propensity(est.theta);
  const auto rows = split_rows(ds, 0);
  const std::span<const uint64_t> some(rows.data(), 5000);
  models::Batch b;
  BatchReader(ds, model.features(), true, PositionInput{false, true}).fill(some, b);
  ASSERT_EQ(b.task_weights.size(), some.size());
  const auto pos = ds.i32("position");
  for (size_t r = 0; r < some.size(); ++r) {
    const float expected = b.labels[r] > 0.5f ? 1.0f / std::max(est.theta[0][pos[some[r]]], 0.05f) : 1.0f;
    ASSERT_FLOAT_EQ(b.task_weights[r], expected);
  }
}

TEST_F(PositionBiasTest, EveryMethodRanksCloserToTheTruthThanIgnoringPosition) {
  const double none = true_ndcg("");
  models::PositionBias ipw_trained;
  const double feature = true_ndcg("[position]\nmethod = \"feature\"\ndropout = 0.15\n");
  const double tower = true_ndcg("[position]\nmethod = \"tower\"\n");
  const double ipw = true_ndcg("[position]\nmethod = \"ipw\"\nslice = \"random_slice\"\n", &ipw_trained);
  // Measured at this seed: none .954, feature .956, tower .993, ipw .990. The feature method
  // gains least: rows whose position is dropped out (15%) relearn the previous model's bias.
  EXPECT_GT(feature, none) << "none " << none;
  EXPECT_GT(tower, none + 0.02) << "none " << none;
  EXPECT_GT(ipw, none + 0.02) << "none " << none;
  ASSERT_EQ(ipw_trained.propensity.size(), 1u) << "the ipw model stores its propensities";
  std::printf("true-relevance NDCG@10: none %.4f  feature %.4f  tower %.4f  ipw %.4f\n", none, feature, tower, ipw);
}

TEST(PositionConfig, ErrorsNameTheKey) {
  auto expect_error = [](const std::string& position, const std::string& needle) {
    try {
      parse_train_config("[data]\npath = \"x\"\n[position]\n" + position, "cfg.toml", "");
      ADD_FAILURE() << "no error for: " << position;
    } catch (const Error& e) {
      EXPECT_NE(e.message().find(needle), std::string::npos) << e.message();
    }
  };
  expect_error("method = \"bias\"\n", "position.method");
  expect_error("method = \"ipw\"\n", "position.slice");
  expect_error("method = \"feature\"\ndropout = 1.5\n", "position.dropout");
  expect_error("method = \"feature\"\ndropout = 1.0\n", "position.dropout");  // all rows: no position left
  EXPECT_NO_THROW(parse_train_config("[data]\npath = \"x\"\n[position]\nmethod = \"feature\"\ndropout = 1.0\n"
                                     "slice = \"random_slice\"\n",
                                     "cfg.toml", ""));
  expect_error("method = \"feature\"\ncross = \"platform\"\n", "position.cross");
  expect_error("method = \"feature\"\ncolour = 1\n", "position.colour");
}

}  // namespace
}  // namespace reco::train
