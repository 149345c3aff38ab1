// Finite-difference check of multi-task CtrModels (shared-bottom, MMoE, ESMM) end to end:
// the loss is nn::multitask_bce_with_logits over 3 tasks with masked labels and per-task
// scales, exactly as the trainer calls it; every dense parameter (shared MLP, experts,
// gates, towers) and every embedding table element is compared with central differences.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "reco/models/ctr_model.h"
#include "reco/nn/embedding_bag.h"
#include "reco/nn/loss.h"
#include "unit/nn/gradient_check.h"

namespace reco::models {
namespace {

namespace gc = nn::gradcheck;

constexpr size_t kBatch = 6;
constexpr size_t kTasks = 3;

FeatureMap features(PositionMethod position = PositionMethod::kNone) {
  static const std::vector<std::string> kDense = {"d0", "d1"};
  static const std::vector<SparseFeature> kSparse = {{"a", 5, false}, {"b", 4, false}};
  static const std::vector<std::string> kNames = {"click", "save", "buy"};
  FeatureMap fm;
  fm.dense = kDense;
  fm.sparse = kSparse;
  for (const auto& n : kNames) fm.tasks.push_back({n, n, "", 1.0f});
  fm.label = fm.tasks.front().label;
  if (position != PositionMethod::kNone) {
    fm.position.method = position;
    fm.position.column = "position";
    fm.position.max_position = 4;
    fm.position.cross_rows = 2;  // the tower's table: 2 crossed values x 5 position ids
  }
  return fm;
}

Batch batch(Rng& rng, PositionMethod position = PositionMethod::kNone) {
  Batch b;
  b.size = kBatch;
  b.tasks = kTasks;
  b.dense = gc::random_tensor(kBatch, 2, rng);
  b.sparse.resize(2);
  b.sparse[0].ids = {1, 4, 1, 0, 3, 2};
  b.sparse[1].ids = {3, 2, 0, 2, 1, 1};
  if (position == PositionMethod::kFeature) {
    b.sparse.push_back({});
    b.sparse[2].ids = {0, 3, 1, 4, 1, 2};  // id 0 = dropped out / zeroed
  } else if (position == PositionMethod::kTower) {
    b.sparse.push_back({});
    b.sparse[2].ids = {6, 1, 9, 1, 3};      // crossed ids; row 2 has no position (empty bag)
    b.sparse[2].offsets = {0, 1, 2, 2, 3, 4, 5};
  }
  const float nan = std::numeric_limits<float>::quiet_NaN();
  b.labels = {1, 0, 0,  0, 0, 0,  1, 1, nan,  0, nan, nan,  1, 0, 1,  1, 1, 1};
  for (size_t i = 0; i < kBatch; ++i) b.rows.push_back(i);
  return b;
}

const std::vector<float> kScale = {0.4f, 0.3f, 0.7f};

double batch_loss(const CtrModel& model, const Batch& b, ModelWorkspace& ws, std::vector<float>* dlogits) {
  auto logits = model.forward(b, 0, b.size, ws, nullptr);
  std::vector<float> scratch(b.size * kTasks);
  std::vector<double> task_loss(kTasks);
  std::vector<float>& g = dlogits ? *dlogits : scratch;
  nn::multitask_bce_with_logits(nn::ConstMatrixView{logits.data(), b.size, kTasks, kTasks}, b.labels, {},
                                model.spec().chained(), kScale, task_loss,
                                nn::MatrixView{g.data(), b.size, kTasks, kTasks});
  double total = 0.0;
  for (size_t t = 0; t < kTasks; ++t) total += kScale[t] * task_loss[t];
  return total;
}

struct Case {
  std::string name;
  ModelKind kind;
  HeadKind head;
  std::vector<size_t> shared = {};
  size_t experts = 0;
  std::vector<size_t> expert = {};
  nn::Activation activation = nn::Activation::kTanh;
  PositionMethod position = PositionMethod::kNone;
};

void run_case(const Case& c) {
  SCOPED_TRACE(c.name);
  ModelSpec spec;
  spec.kind = c.kind;
  spec.head = c.head;
  spec.embedding_dim = 3;
  spec.bottom = {4, 3};
  spec.shared = c.shared;
  spec.experts = c.experts;
  spec.expert = c.expert;
  spec.tower = {4, 1};
  spec.activation = c.activation;
  CtrModel model(spec, features(c.position));
  ASSERT_EQ(model.outputs(), kTasks);
  model.init(3);
  Rng rng(99);
  for (nn::Parameter* p : model.parameters()) gc::fill_uniform(p->value, rng, -0.7f, 0.7f);
  const Batch b = batch(rng, c.position);
  ASSERT_EQ(model.table_count(), c.position == PositionMethod::kNone ? 2u : 3u);

  ModelWorkspace ws;
  model.prepare(ws);
  model.zero_grads(ws);
  std::vector<float> dlogits(b.size * kTasks);
  batch_loss(model, b, ws, &dlogits);
  model.backward(b, 0, b.size, dlogits, ws);

  ModelWorkspace eval_ws;
  model.prepare(eval_ws);
  auto loss = [&] { return batch_loss(model, b, eval_ws, nullptr); };
  gc::Tolerance tol;
  tol.rel_step = 1e-3;
  tol.rtol = 2e-2;
  tol.atol = 2e-4;
  auto dense = model.dense_parameters();
  ASSERT_EQ(dense.size(), ws.dense_grads.size());
  for (size_t i = 0; i < dense.size(); ++i)
    EXPECT_TRUE(gc::check_gradient(dense[i]->name, dense[i]->value, ws.dense_grads[i]->view(), loss, tol));
  auto tables = model.tables();
  for (size_t k = 0; k < tables.size(); ++k) {
    nn::BagBatch bags = b.sparse[model.table_feature(k)].bags();
    nn::ConstMatrixView dout = model.table_dout(ws, k);
    nn::RowGrad rg;
    nn::RowGradScratch scratch;
    nn::build_row_grad({&bags, 1}, {&dout, 1}, model.pooling(), rg, scratch);
    nn::Tensor full(tables[k]->value.rows(), tables[k]->value.cols());
    full.zero();
    for (size_t i = 0; i < rg.rows.size(); ++i)
      for (size_t j = 0; j < full.cols(); ++j) full.at(rg.rows[i], j) = rg.values.at(i, j);
    EXPECT_TRUE(gc::check_gradient(tables[k]->name, tables[k]->value, full.view(), loss, tol));
  }
}

TEST(MultiTaskGradient, SharedBottomMlp) {
  run_case({"shared_bottom mlp", ModelKind::kMlp, HeadKind::kSharedBottom, {5}});
}
TEST(MultiTaskGradient, SharedBottomWithoutSharedLayers) {
  run_case({"shared_bottom empty", ModelKind::kMlp, HeadKind::kSharedBottom, {}});
}
TEST(MultiTaskGradient, SharedBottomDlrmRelu) {
  run_case({"shared_bottom dlrm", ModelKind::kDlrm, HeadKind::kSharedBottom, {6, 5}, 0, {}, nn::Activation::kRelu});
}
TEST(MultiTaskGradient, MmoeMlp) { run_case({"mmoe mlp", ModelKind::kMlp, HeadKind::kMmoe, {}, 3, {4}}); }
TEST(MultiTaskGradient, MmoeOneExpertTwoLayers) {
  run_case({"mmoe 1 expert", ModelKind::kMlp, HeadKind::kMmoe, {}, 1, {5, 3}});
}
TEST(MultiTaskGradient, MmoeThreeTwoLayerExpertsRelu) {
  run_case({"mmoe 3 deep experts", ModelKind::kMlp, HeadKind::kMmoe, {}, 3, {5, 3}, nn::Activation::kRelu});
}
TEST(MultiTaskGradient, MmoeDlrm) { run_case({"mmoe dlrm", ModelKind::kDlrm, HeadKind::kMmoe, {}, 2, {4}}); }
TEST(MultiTaskGradient, EsmmChain) { run_case({"esmm", ModelKind::kMlp, HeadKind::kEsmm}); }
TEST(MultiTaskGradient, EsmmChainWithShared) { run_case({"esmm shared", ModelKind::kMlp, HeadKind::kEsmm, {5}}); }

TEST(MultiTaskGradient, PositionFeatureMmoe) {
  run_case({"position feature mmoe", ModelKind::kMlp, HeadKind::kMmoe, {}, 2, {4}, nn::Activation::kTanh,
            PositionMethod::kFeature});
}
TEST(MultiTaskGradient, PositionFeatureDlrm) {
  run_case({"position feature dlrm", ModelKind::kDlrm, HeadKind::kSharedBottom, {5}, 0, {}, nn::Activation::kTanh,
            PositionMethod::kFeature});
}
TEST(MultiTaskGradient, PositionTowerSharedBottom) {
  run_case({"position tower", ModelKind::kMlp, HeadKind::kSharedBottom, {5}, 0, {}, nn::Activation::kTanh,
            PositionMethod::kTower});
}
TEST(MultiTaskGradient, PositionTowerEsmm) {
  run_case({"position tower esmm", ModelKind::kMlp, HeadKind::kEsmm, {}, 0, {}, nn::Activation::kTanh,
            PositionMethod::kTower});
}

TEST(MultiTaskModel, PositionTowerAddsOnlyWithAPosition) {
  ModelSpec spec;
  spec.kind = ModelKind::kMlp;
  spec.head = HeadKind::kSharedBottom;
  spec.embedding_dim = 2;
  spec.shared = {3};
  spec.tower = {2, 1};
  CtrModel model(spec, features(PositionMethod::kTower));
  model.init(5);
  Rng rng(1);
  for (nn::Parameter* p : model.tables()) gc::fill_uniform(p->value, rng, -0.7f, 0.7f);
  Batch with = batch(rng, PositionMethod::kTower);
  Batch without = with;
  without.sparse[2].ids.clear();
  without.sparse[2].offsets.assign(kBatch + 1, 0);
  ModelWorkspace ws1, ws2;
  auto a = model.forward(with, 0, kBatch, ws1, nullptr);
  auto b = model.forward(without, 0, kBatch, ws2, nullptr);
  const nn::Parameter& tower = *model.tables().back();
  for (size_t r = 0; r < kBatch; ++r)
    for (size_t t = 0; t < kTasks; ++t) {
      const size_t lo = with.sparse[2].offsets[r], hi = with.sparse[2].offsets[r + 1];
      const float term = lo == hi ? 0.0f : tower.value.at(with.sparse[2].ids[lo], t);
      EXPECT_NEAR(a[r * kTasks + t] - b[r * kTasks + t], term, 1e-5) << "row " << r << " task " << t;
    }
}

TEST(MultiTaskModel, GatesAreSoftmaxOverExperts) {
  ModelSpec spec;
  spec.kind = ModelKind::kMlp;
  spec.head = HeadKind::kMmoe;
  spec.embedding_dim = 2;
  spec.experts = 4;
  spec.expert = {3};
  spec.tower = {2, 1};
  CtrModel model(spec, features());
  model.init(5);
  Rng rng(1);
  const Batch b = batch(rng);
  ModelWorkspace ws;
  model.forward(b, 0, b.size, ws, nullptr);
  ASSERT_EQ(ws.heads.gates.rows(), kBatch);
  ASSERT_EQ(ws.heads.gates.cols(), kTasks * 4);
  for (size_t r = 0; r < kBatch; ++r)
    for (size_t t = 0; t < kTasks; ++t) {
      double sum = 0.0;
      for (size_t e = 0; e < 4; ++e) {
        EXPECT_GT(ws.heads.gates.at(r, t * 4 + e), 0.0f);
        sum += ws.heads.gates.at(r, t * 4 + e);
      }
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
}

TEST(MultiTaskModel, SingleHeadRejectsSeveralTasks) {
  ModelSpec spec;
  spec.kind = ModelKind::kMlp;
  EXPECT_THROW({ CtrModel m(spec, features()); }, Error);
  spec.head = HeadKind::kMmoe;  // mmoe without experts
  EXPECT_THROW(spec.validate(), Error);
  spec.head = HeadKind::kSharedBottom;
  spec.kind = ModelKind::kWideDeep;
  EXPECT_THROW(spec.validate(), Error);
}

}  // namespace
}  // namespace reco::models
