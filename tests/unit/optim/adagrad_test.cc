#include "reco/optim/adagrad.h"

#include <gtest/gtest.h>

#include "harness.h"
#include "reco/core/error.h"

namespace reco::optim {
namespace {

OptimizerConfig adagrad(float lr) {
  OptimizerConfig c;
  c.kind = OptimizerKind::kAdagrad;
  c.schedule.base = lr;
  c.epsilon = 1e-10f;
  return c;
}

TEST(Adagrad, MatchesReference) { testref::expect_dense_matches_reference(adagrad(0.1f), 6); }

TEST(Adagrad, InitialAccumulatorMatchesReference) {
  OptimizerConfig c = adagrad(0.1f);
  c.adagrad_init = 0.1f;
  testref::expect_dense_matches_reference(c, 6);
}

TEST(Adagrad, CoupledWeightDecayMatchesReference) {
  OptimizerConfig c = adagrad(0.1f);
  c.weight_decay = 0.2f;
  testref::expect_dense_matches_reference(c, 6);
}

TEST(Adagrad, DecoupledWeightDecayMatchesReference) {
  OptimizerConfig c = adagrad(0.1f);
  c.weight_decay = 0.2f;
  c.decoupled_decay = true;
  testref::expect_dense_matches_reference(c, 6);
}

TEST(Adagrad, WarmupAndCosineMatchReference) {
  OptimizerConfig c = adagrad(0.3f);
  c.schedule.warmup_steps = 2;
  c.schedule.decay = LrDecay::kCosine;
  c.schedule.decay_steps = 5;
  testref::expect_dense_matches_reference(c, 9);
}

TEST(Adagrad, SparseRowsMatchReference) {
  OptimizerConfig c = adagrad(0.1f);
  c.adagrad_init = 0.05f;
  c.embedding_lr_scale = 2.0f;
  c.embedding_weight_decay = 0.1f;
  testref::expect_sparse_matches_reference(c, 6);
  c.decoupled_decay = true;
  testref::expect_sparse_matches_reference(c, 6);
}

TEST(Adagrad, AccumulatorStartsAtInit) {
  OptimizerConfig c = adagrad(0.1f);
  c.adagrad_init = 0.25f;
  Adagrad opt(c);
  nn::Parameter p{"w", nn::Tensor(2, 3), false, true};
  opt.add(p);
  ASSERT_EQ(opt.state(0).size(), 1u);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(opt.state(0)[0].data()[i], 0.25f);
}

}  // namespace
}  // namespace reco::optim
