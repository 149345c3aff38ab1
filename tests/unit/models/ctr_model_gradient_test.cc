// End-to-end finite-difference check of CtrModel::backward for every model kind: the loss
// is the mean bce_with_logits over a small batch; the analytic dense gradients come from the
// workspace and each table's row gradient from nn::build_row_grad over table_dout, exactly as
// the trainer builds them. Every dense parameter element and every table element (touched
// rows must match, untouched rows must have a zero numeric derivative) is compared with
// central differences.
#include <gtest/gtest.h>

#include <cmath>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "reco/core/rng.h"
#include "reco/models/ctr_model.h"
#include "reco/nn/embedding_bag.h"
#include "reco/nn/fused_linear.h"
#include "reco/nn/loss.h"
#include "unit/nn/gradient_check.h"

namespace reco::models {
namespace {

namespace gc = nn::gradcheck;

constexpr size_t kBatch = 5;

FeatureMap small_features(size_t dense) {
  // Copied from constant strings: building them in place trips a false GCC 12 -Wrestrict.
  static const std::vector<std::string> kDense = {"d0", "d1", "d2"};
  static const std::vector<SparseFeature> kSparse = {{"a", 5, false}, {"b", 7, false}, {"m", 6, true}};
  static const std::string kLabel = "y";
  FeatureMap fm;
  fm.dense.assign(kDense.begin(), kDense.begin() + static_cast<std::ptrdiff_t>(dense));
  fm.sparse = kSparse;
  fm.label = kLabel;
  return fm;
}

// A batch matching small_features: one-hot ids (with a repeated id so duplicate rows are
// summed), a weighted multi-hot bag per row of varying size (one bag repeats an id), 0/1 labels.
Batch small_batch(size_t dense, Rng& rng) {
  Batch b;
  b.size = kBatch;
  b.dense = gc::random_tensor(kBatch, dense, rng);
  b.sparse.resize(3);
  b.sparse[0].ids = {1, 4, 1, 0, 3};
  b.sparse[1].ids = {6, 2, 5, 2, 0};
  b.sparse[2].offsets = {0, 2, 3, 6, 7, 9};
  b.sparse[2].ids = {0, 5, 2, 1, 3, 1, 4, 5, 0};
  for (size_t i = 0; i < b.sparse[2].ids.size(); ++i) b.sparse[2].weights.push_back(0.5f + rng.uniform_float());
  b.labels = {1.0f, 0.0f, 0.0f, 1.0f, 1.0f};
  for (size_t i = 0; i < kBatch; ++i) b.rows.push_back(i);
  return b;
}

double batch_loss(const CtrModel& model, const Batch& batch, ModelWorkspace& ws, std::vector<float>* dlogits) {
  auto logits = model.forward(batch, 0, batch.size, ws, nullptr);
  std::vector<float> scratch(batch.size);
  const double sum = nn::bce_with_logits(logits, batch.labels, {}, 1.0f / static_cast<float>(batch.size),
                                         dlogits ? std::span<float>(*dlogits) : std::span<float>(scratch));
  return sum / static_cast<double>(batch.size);
}

struct Case {
  std::string name;
  ModelKind kind;
  nn::InteractionKind interaction = nn::InteractionKind::kDot;
  bool self_interaction = false;
  size_t dense = 3;
  nn::Pooling pooling = nn::Pooling::kMean;
  nn::Activation activation = nn::Activation::kRelu;
};

void run_case(const Case& c) {
  SCOPED_TRACE(c.name);
  ModelSpec spec;
  spec.kind = c.kind;
  spec.embedding_dim = 3;
  spec.pooling = c.pooling;
  spec.bottom = {5, 3};
  spec.top = {7, 1};
  spec.interaction = c.interaction;
  spec.self_interaction = c.self_interaction;
  spec.activation = c.activation;
  CtrModel model(spec, small_features(c.dense));
  model.init(7);
  // Random values everywhere (biases and wide weights start at zero after init).
  Rng rng(1234);
  for (nn::Parameter* p : model.parameters()) gc::fill_uniform(p->value, rng, -0.6f, 0.6f);
  const Batch batch = small_batch(c.dense, rng);

  ModelWorkspace ws;
  model.prepare(ws);
  model.zero_grads(ws);
  std::vector<float> dlogits(batch.size);
  batch_loss(model, batch, ws, &dlogits);
  model.backward(batch, 0, batch.size, dlogits, ws);

  ModelWorkspace eval_ws;
  model.prepare(eval_ws);
  auto loss = [&] { return batch_loss(model, batch, eval_ws, nullptr); };
  gc::Tolerance tol;
  tol.rel_step = 1e-3;
  tol.rtol = 2e-2;
  tol.atol = 2e-4;

  auto dense = model.dense_parameters();
  ASSERT_EQ(dense.size(), ws.dense_grads.size());
  ASSERT_FALSE(dense.empty());
  for (size_t i = 0; i < dense.size(); ++i) {
    ASSERT_EQ(dense[i]->value.rows(), ws.dense_grads[i]->rows()) << dense[i]->name;
    EXPECT_TRUE(gc::check_gradient(dense[i]->name, dense[i]->value, ws.dense_grads[i]->view(), loss, tol));
  }

  auto tables = model.tables();
  ASSERT_EQ(tables.size(), model.table_count());
  size_t expected_tables = (c.kind == ModelKind::kLogistic ? 0 : 3) +
                           (c.kind == ModelKind::kWideDeep || c.kind == ModelKind::kLogistic ? 3 : 0);
  EXPECT_EQ(tables.size(), expected_tables);
  for (size_t k = 0; k < tables.size(); ++k) {
    const size_t f = model.table_feature(k);
    nn::BagBatch bags = batch.sparse[f].bags();
    nn::ConstMatrixView dout = model.table_dout(ws, k);
    ASSERT_EQ(dout.rows, batch.size);
    ASSERT_EQ(dout.cols, tables[k]->value.cols());
    nn::RowGrad rg;
    nn::RowGradScratch scratch;
    nn::build_row_grad({&bags, 1}, {&dout, 1}, model.pooling(), rg, scratch);
    ASSERT_FALSE(rg.rows.empty());
    // Scatter the row-sparse gradient into a dense table-shaped gradient (zeros elsewhere).
    nn::Tensor full(tables[k]->value.rows(), tables[k]->value.cols());
    full.zero();
    for (size_t i = 0; i < rg.rows.size(); ++i)
      for (size_t j = 0; j < full.cols(); ++j) full.at(rg.rows[i], j) = rg.values.at(i, j);
    EXPECT_TRUE(gc::check_gradient(tables[k]->name, tables[k]->value, full.view(), loss, tol));
  }
}

TEST(CtrModelGradient, DlrmDot) { run_case({"dlrm dot", ModelKind::kDlrm}); }
TEST(CtrModelGradient, DlrmDotSelfInteraction) {
  run_case({"dlrm dot self", ModelKind::kDlrm, nn::InteractionKind::kDot, true});
}
TEST(CtrModelGradient, DlrmCat) { run_case({"dlrm cat", ModelKind::kDlrm, nn::InteractionKind::kConcat}); }
TEST(CtrModelGradient, DlrmCatSumPoolingTanh) {
  run_case({"dlrm cat sum tanh", ModelKind::kDlrm, nn::InteractionKind::kConcat, false, 3, nn::Pooling::kSum,
            nn::Activation::kTanh});
}
TEST(CtrModelGradient, DlrmWithoutDenseFeatures) {
  run_case({"dlrm no dense", ModelKind::kDlrm, nn::InteractionKind::kDot, false, 0});
}
TEST(CtrModelGradient, DlrmWithoutDenseSelfInteractionSum) {
  run_case({"dlrm no dense self sum", ModelKind::kDlrm, nn::InteractionKind::kDot, true, 0, nn::Pooling::kSum});
}
TEST(CtrModelGradient, Mlp) { run_case({"mlp", ModelKind::kMlp}); }
TEST(CtrModelGradient, MlpSigmoidSum) {
  run_case({"mlp sigmoid sum", ModelKind::kMlp, nn::InteractionKind::kDot, false, 3, nn::Pooling::kSum,
            nn::Activation::kSigmoid});
}
TEST(CtrModelGradient, WideDeep) { run_case({"wide_deep", ModelKind::kWideDeep}); }
TEST(CtrModelGradient, WideDeepNoDense) {
  // tanh: with relu, one hidden unit of this draw sits within the finite-difference step of its
  // kink (central differences straddle it), which says nothing about backward.
  run_case({"wide_deep no dense", ModelKind::kWideDeep, nn::InteractionKind::kDot, false, 0, nn::Pooling::kSum,
            nn::Activation::kTanh});
}
TEST(CtrModelGradient, Logistic) { run_case({"lr", ModelKind::kLogistic}); }
TEST(CtrModelGradient, LogisticSum) {
  run_case({"lr sum", ModelKind::kLogistic, nn::InteractionKind::kDot, false, 3, nn::Pooling::kSum});
}

// The gradient the model reports must depend on the batch rows it was given: a shard
// [lo, hi) of the batch yields the gradient of those rows only (the trainer adds shards).
TEST(CtrModelGradient, ShardsAddUpToTheWholeBatch) {
  ModelSpec spec;
  spec.embedding_dim = 3;
  spec.pooling = nn::Pooling::kMean;
  spec.bottom = {5, 3};
  spec.top = {7, 1};
  CtrModel model(spec, small_features(3));
  model.init(3);
  Rng rng(99);
  const Batch batch = small_batch(3, rng);
  const float scale = 1.0f / static_cast<float>(batch.size);
  ModelWorkspace whole, a, b;
  for (auto* ws : {&whole, &a, &b}) model.prepare(*ws);
  auto run = [&](ModelWorkspace& ws, size_t lo, size_t hi) {
    auto logits = model.forward(batch, lo, hi, ws, nullptr);
    std::vector<float> d(hi - lo);
    nn::bce_with_logits(logits, std::span<const float>(batch.labels).subspan(lo, hi - lo), {}, scale, d);
    model.backward(batch, lo, hi, d, ws);
  };
  run(whole, 0, batch.size);
  run(a, 0, 2);
  run(b, 2, batch.size);
  for (size_t i = 0; i < whole.dense_grads.size(); ++i) {
    const nn::Tensor& g = *whole.dense_grads[i];
    for (size_t j = 0; j < g.size(); ++j)
      EXPECT_NEAR(g.data()[j], a.dense_grads[i]->data()[j] + b.dense_grads[i]->data()[j], 1e-6) << i << " " << j;
  }
}

// A DLRM-shaped model with 3 sparse inputs (one multi-hot, weighted) and an n-row batch.
struct InferCase {
  CtrModel model;
  Batch batch;
};
InferCase infer_case(size_t n) {
  ModelSpec spec;
  spec.embedding_dim = 4;
  spec.pooling = nn::Pooling::kMean;
  spec.bottom = {16, 4};
  spec.top = {32, 1};
  CtrModel model(spec, small_features(3));
  model.init(5);
  Rng rng(17);
  Batch b;
  b.size = n;
  b.dense = gc::random_tensor(n, 3, rng);
  b.sparse.resize(3);
  b.sparse[2].offsets.push_back(0);
  for (size_t r = 0; r < n; ++r) {
    b.sparse[0].ids.push_back(static_cast<uint32_t>(rng.below(5)));
    b.sparse[1].ids.push_back(static_cast<uint32_t>(rng.below(7)));
    const size_t bag = 1 + rng.below(3);
    for (size_t k = 0; k < bag; ++k) {
      b.sparse[2].ids.push_back(static_cast<uint32_t>(rng.below(6)));
      b.sparse[2].weights.push_back(0.5f + rng.uniform_float());
    }
    b.sparse[2].offsets.push_back(b.sparse[2].ids.size());
    b.labels.push_back(0.0f);
    b.rows.push_back(r);
  }
  return {std::move(model), std::move(b)};
}

TEST(CtrModel, InferOverBlocksGivesForwardsLogits) {
  // infer runs forward over blocks of kInferBlockRows rows: more than two blocks and a tail, on
  // shifted ranges, must give the logits one forward over the whole range gives.
  const size_t n = 2 * CtrModel::kInferBlockRows + 91;
  const auto [model, b] = infer_case(n);
  for (const auto& [lo, hi] : {std::pair<size_t, size_t>{0, n}, {3, n - 5}, {7, 40}}) {
    SCOPED_TRACE(::testing::Message() << "rows " << lo << ".." << hi);
    ModelWorkspace whole, blocks;
    const auto want = model.forward(b, lo, hi, whole, nullptr);
    std::vector<float> got(hi - lo, std::nanf(""));
    model.infer(b, lo, hi, blocks, got);
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5 * (1.0 + std::fabs(want[i]))) << i;
  }
}

TEST(CtrModel, InferAfterAWeightChangeUsesTheNewWeights) {
  // infer packs the dense weights once per call (nn::FrozenWeights): a later call with the same
  // workspaces, after the weights changed (an optimizer step, a reload into the same model), must
  // score with the new weights, never with the previous call's packed copy.
  const size_t n = 3 * CtrModel::kInferBlockRows;
  auto [model, b] = infer_case(n);
  ModelWorkspace blocks;
  ThreadPool pool(2);
  std::vector<ModelWorkspace> ws(pool.size());
  std::vector<float> before(n), got(n), parallel(n);
  model.infer(b, 0, n, blocks, before);
  model.infer_parallel(b, pool, ws, parallel);
  for (nn::Parameter* p : model.dense_parameters())
    for (float& w : p->value.span()) w = 0.5f * w + 0.01f;
  ModelWorkspace whole;
  const auto want = model.forward(b, 0, n, whole, nullptr);
  model.infer(b, 0, n, blocks, got);
  model.infer_parallel(b, pool, ws, parallel);
  size_t changed = 0;
  for (size_t i = 0; i < n; ++i) {
    EXPECT_NEAR(got[i], want[i], 1e-5 * (1.0 + std::fabs(want[i]))) << i;
    EXPECT_NEAR(parallel[i], want[i], 1e-5 * (1.0 + std::fabs(want[i]))) << i;
    changed += std::fabs(before[i] - want[i]) > 1e-3 ? 1 : 0;
  }
  EXPECT_GT(changed, n / 2);  // the change moved the scores: the comparison above means something
}

TEST(CtrModel, AFrozenIdPacksTheWeightsOncePerWorkspaceAcrossCalls) {
  // With the caller's FrozenWeights id the dense weights are packed on a workspace's first call
  // and reused by later calls (a served snapshot, a benchmark); without one, every call of
  // several blocks packs them again. The scores are the same either way; a new id after a weight
  // change scores with the new weights.
  const size_t n = 3 * CtrModel::kInferBlockRows;
  auto [model, b] = infer_case(n);
  const auto packs = [](const ModelWorkspace& ws) { return ws.bottom.fused.packs_made() + ws.top.fused.packs_made(); };
  ModelWorkspace per_call, frozen;
  std::vector<float> want(n), got(n);
  model.infer(b, 0, n, per_call, want);
  const size_t layers = packs(per_call);
  ASSERT_GT(layers, 0u);
  model.infer(b, 0, n, per_call, want);
  EXPECT_EQ(packs(per_call), 2 * layers);
  const uint64_t id = nn::FrozenWeights::new_id();
  for (int call = 0; call < 3; ++call) {
    model.infer(b, 0, n, frozen, got, id);
    model.infer(b, 0, 40, frozen, std::span<float>(got).first(40), id);  // one block: the same packs
    for (size_t i = 0; i < n; ++i) ASSERT_FLOAT_EQ(got[i], want[i]) << call << ", " << i;
  }
  EXPECT_EQ(packs(frozen), layers);
  ThreadPool pool(2);
  std::vector<ModelWorkspace> ws(pool.size());
  std::vector<float> parallel(n);
  for (int call = 0; call < 3; ++call) model.infer_parallel(b, pool, ws, parallel, {}, id);
  EXPECT_LE(packs(ws[0]) + packs(ws[1]), 2 * layers);
  for (size_t i = 0; i < n; ++i) EXPECT_FLOAT_EQ(parallel[i], want[i]) << i;
  for (nn::Parameter* p : model.dense_parameters())
    for (float& w : p->value.span()) w = 0.5f * w + 0.01f;
  ModelWorkspace whole;
  const auto changed = model.forward(b, 0, n, whole, nullptr);
  model.infer(b, 0, n, frozen, got, nn::FrozenWeights::new_id());
  size_t moved = 0;
  for (size_t i = 0; i < n; ++i) {
    EXPECT_NEAR(got[i], changed[i], 1e-5 * (1.0 + std::fabs(changed[i]))) << i;
    moved += std::fabs(got[i] - want[i]) > 1e-3 ? 1 : 0;
  }
  EXPECT_GT(moved, n / 2);
  EXPECT_EQ(packs(frozen), 2 * layers);
}

TEST(CtrModel, InferParallelScoresEveryRowOnce) {
  // Workers take blocks from a shared counter: every row is scored once, into its own slot, with
  // forward's logits, for batches smaller than a block per worker and with several blocks; the
  // callback sees each block once.
  for (const size_t n : {size_t{1}, size_t{5}, size_t{128}, 3 * CtrModel::kInferBlockRows + 17}) {
    const auto [model, b] = infer_case(n);
    ModelWorkspace whole;
    const auto want = model.forward(b, 0, n, whole, nullptr);
    for (const int threads : {1, 2, 3}) {
      SCOPED_TRACE(::testing::Message() << n << " rows, " << threads << " workers");
      ThreadPool pool(threads);
      std::vector<ModelWorkspace> ws(pool.size());
      std::vector<float> got(n, std::nanf(""));
      std::vector<int> seen(n, 0);
      std::mutex mu;
      model.infer_parallel(b, pool, ws, got, [&](size_t lo, size_t hi, std::span<float> scores) {
        std::lock_guard lock(mu);
        EXPECT_EQ(scores.data(), got.data() + lo);
        EXPECT_EQ(scores.size(), hi - lo);
        for (size_t r = lo; r < hi; ++r) ++seen[r];
      });
      for (size_t i = 0; i < n; ++i) {
        EXPECT_EQ(seen[i], 1) << i;
        EXPECT_NEAR(got[i], want[i], 1e-5 * (1.0 + std::fabs(want[i]))) << i;
      }
    }
  }
}

}  // namespace
}  // namespace reco::models
