#include "reco/optim/adam.h"

#include <gtest/gtest.h>

#include "harness.h"
#include "reco/core/error.h"

namespace reco::optim {
namespace {

OptimizerConfig adam(float lr, OptimizerKind kind = OptimizerKind::kAdam) {
  OptimizerConfig c;
  c.kind = kind;
  c.schedule.base = lr;
  return c;
}

TEST(Adam, MatchesReference) { testref::expect_dense_matches_reference(adam(0.01f), 8); }

TEST(Adam, OtherBetasMatchReference) {
  OptimizerConfig c = adam(0.02f);
  c.beta1 = 0.5f;
  c.beta2 = 0.9f;
  c.epsilon = 1e-6f;
  testref::expect_dense_matches_reference(c, 8);
}

TEST(Adam, CoupledWeightDecayMatchesReference) {
  OptimizerConfig c = adam(0.01f);
  c.weight_decay = 0.1f;
  testref::expect_dense_matches_reference(c, 6);
}

TEST(Adam, DecoupledWeightDecayIsAdamW) {
  OptimizerConfig c = adam(0.01f);
  c.weight_decay = 0.5f;
  c.decoupled_decay = true;
  testref::expect_dense_matches_reference(c, 6);
}

TEST(Adam, WarmupAndInverseSqrtMatchReference) {
  OptimizerConfig c = adam(0.01f);
  c.schedule.warmup_steps = 4;
  c.schedule.decay = LrDecay::kInverseSqrt;
  testref::expect_dense_matches_reference(c, 10);
}

TEST(Adam, RejectsSparseTables) {
  Adam opt(adam(0.01f));
  nn::Parameter table{"emb", nn::Tensor(4, 2), true, true};
  try {
    opt.add(table);
    FAIL() << "adam accepted a sparse table";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(e.message().find("emb"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("lazy_adam"), std::string::npos) << e.message();
  }
}

TEST(LazyAdam, DenseParametersMatchAdamReference) {
  testref::expect_dense_matches_reference(adam(0.01f, OptimizerKind::kLazyAdam), 8);
  OptimizerConfig c = adam(0.01f, OptimizerKind::kLazyAdam);
  c.weight_decay = 0.1f;
  c.decoupled_decay = true;
  testref::expect_dense_matches_reference(c, 6);
}

TEST(LazyAdam, SparseRowsMatchReferenceWithGlobalStep) {
  OptimizerConfig c = adam(0.01f, OptimizerKind::kLazyAdam);
  c.embedding_lr_scale = 5.0f;
  c.embedding_weight_decay = 0.1f;
  testref::expect_sparse_matches_reference(c, 8);
  c.decoupled_decay = true;
  testref::expect_sparse_matches_reference(c, 8);
}

// With the same rows touched every step, LazyAdam on the table is plain Adam on a dense
// tensor made of just those rows.
TEST(LazyAdam, EqualsAdamRestrictedToTouchedRows) {
  const std::vector<uint32_t> touched = {1, 3, 6};
  const size_t dim = 5;
  Rng rng(3);
  nn::Parameter table{"emb", nn::Tensor(8, dim), true, true};
  testref::fill_random(table.value, rng);
  nn::Parameter dense{"rows", nn::Tensor(touched.size(), dim), false, true};
  for (size_t i = 0; i < touched.size(); ++i) {
    for (size_t d = 0; d < dim; ++d) dense.value.at(i, d) = table.value.at(touched[i], d);
  }
  OptimizerConfig c = adam(0.05f, OptimizerKind::kLazyAdam);
  c.weight_decay = 0.1f;
  c.embedding_weight_decay = 0.1f;  // same decay for both
  Adam lazy(c);
  OptimizerConfig pc = c;
  pc.kind = OptimizerKind::kAdam;
  Adam plain(pc);
  const size_t ls = lazy.add(table);
  const size_t ps = plain.add(dense);
  const nn::Tensor untouched_before = table.value;
  for (int t = 0; t < 6; ++t) {
    nn::RowGrad g;
    g.rows = touched;
    g.values.resize(touched.size(), dim);
    testref::fill_random(g.values, rng, 0.5);
    lazy.begin_step();
    plain.begin_step();
    lazy.update_rows(ls, g);
    plain.update_dense(ps, g.values);
  }
  for (size_t i = 0; i < touched.size(); ++i) {
    for (size_t d = 0; d < dim; ++d) {
      EXPECT_FLOAT_EQ(table.value.at(touched[i], d), dense.value.at(i, d)) << "row " << touched[i];
      EXPECT_FLOAT_EQ(lazy.state(ls)[0].at(touched[i], d), plain.state(ps)[0].at(i, d));
      EXPECT_FLOAT_EQ(lazy.state(ls)[1].at(touched[i], d), plain.state(ps)[1].at(i, d));
    }
  }
  for (uint32_t r : {0u, 2u, 4u, 5u, 7u}) {
    for (size_t d = 0; d < dim; ++d) EXPECT_EQ(table.value.at(r, d), untouched_before.at(r, d));
  }
}

}  // namespace
}  // namespace reco::optim
