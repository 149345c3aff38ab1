#include "reco/optim/sgd.h"

#include <gtest/gtest.h>

#include "harness.h"
#include "reco/core/error.h"

namespace reco::optim {
namespace {

OptimizerConfig sgd(float lr) {
  OptimizerConfig c;
  c.kind = OptimizerKind::kSgd;
  c.schedule.base = lr;
  return c;
}

TEST(Sgd, PlainMatchesReference) { testref::expect_dense_matches_reference(sgd(0.1f), 5); }

TEST(Sgd, MomentumMatchesReference) {
  OptimizerConfig c = sgd(0.05f);
  c.momentum = 0.9f;
  testref::expect_dense_matches_reference(c, 6);
}

TEST(Sgd, NesterovMatchesReference) {
  OptimizerConfig c = sgd(0.05f);
  c.momentum = 0.8f;
  c.nesterov = true;
  testref::expect_dense_matches_reference(c, 6);
}

TEST(Sgd, CoupledWeightDecayMatchesReference) {
  OptimizerConfig c = sgd(0.1f);
  c.momentum = 0.5f;
  c.weight_decay = 0.3f;
  testref::expect_dense_matches_reference(c, 5);
}

TEST(Sgd, DecoupledWeightDecayMatchesReference) {
  OptimizerConfig c = sgd(0.1f);
  c.momentum = 0.5f;
  c.weight_decay = 0.3f;
  c.decoupled_decay = true;
  testref::expect_dense_matches_reference(c, 5);
}

TEST(Sgd, WarmupAndDecayMatchReference) {
  OptimizerConfig c = sgd(0.2f);
  c.momentum = 0.9f;
  c.schedule.warmup_steps = 3;
  c.schedule.decay = LrDecay::kLinear;
  c.schedule.decay_steps = 4;
  c.schedule.min_factor = 0.1f;
  testref::expect_dense_matches_reference(c, 9);
}

TEST(Sgd, SparseRowsMatchReference) {
  OptimizerConfig c = sgd(0.1f);
  c.momentum = 0.9f;
  c.embedding_lr_scale = 3.0f;
  c.embedding_weight_decay = 0.2f;
  c.weight_decay = 5.0f;  // dense decay must not reach the table
  testref::expect_sparse_matches_reference(c, 6);
  c.decoupled_decay = true;
  testref::expect_sparse_matches_reference(c, 6);
}

TEST(Sgd, PlainSgdKeepsNoState) {
  nn::Parameter p{"w", nn::Tensor(2, 2), false, true};
  Sgd plain(sgd(0.1f));
  plain.add(p);
  EXPECT_TRUE(plain.state(0).empty());
  OptimizerConfig c = sgd(0.1f);
  c.momentum = 0.9f;
  Sgd with_momentum(c);
  with_momentum.add(p);
  EXPECT_EQ(with_momentum.state(0).size(), 1u);
}

TEST(Sgd, RejectsBadConfigAndArguments) {
  OptimizerConfig c = sgd(0.1f);
  c.nesterov = true;  // without momentum
  EXPECT_THROW(Sgd{c}, Error);
  c = sgd(0.1f);
  c.momentum = 1.0f;
  EXPECT_THROW(Sgd{c}, Error);

  Sgd opt(sgd(0.1f));
  nn::Parameter p{"w", nn::Tensor(2, 3), false, true};
  const size_t slot = opt.add(p);
  nn::Tensor g(2, 3);
  EXPECT_THROW(opt.update_dense(slot, g), Error);  // before begin_step
  opt.begin_step();
  nn::Tensor wrong(3, 2);
  EXPECT_THROW(opt.update_dense(slot, wrong), Error);
  EXPECT_THROW(opt.update_dense(slot, g, 2, 7), Error);
  nn::RowGrad rg;
  rg.rows = {0};
  rg.values.resize(1, 3, true);
  EXPECT_THROW(opt.update_rows(slot, rg), Error);  // dense parameter
}

}  // namespace
}  // namespace reco::optim
