// Sharding: update_* over [lo, mid) and [mid, hi) must equal one call over [lo, hi), bit for
// bit, for every optimizer, dense and row-sparse; plus argument checks of update_rows.
#include <gtest/gtest.h>

#include "harness.h"
#include "reco/core/error.h"

namespace reco::optim {
namespace {

std::vector<OptimizerConfig> all_configs() {
  std::vector<OptimizerConfig> out;
  for (OptimizerKind kind :
       {OptimizerKind::kSgd, OptimizerKind::kAdagrad, OptimizerKind::kAdam, OptimizerKind::kLazyAdam}) {
    for (int variant = 0; variant < 3; ++variant) {
      OptimizerConfig c;
      c.kind = kind;
      c.schedule.base = 0.05f;
      c.schedule.warmup_steps = 2;
      if (kind == OptimizerKind::kSgd && variant > 0) c.momentum = 0.9f;
      if (kind == OptimizerKind::kSgd && variant == 2) c.nesterov = true;
      c.weight_decay = variant == 0 ? 0.0f : 0.1f;
      c.embedding_weight_decay = variant == 0 ? 0.0f : 0.05f;
      c.decoupled_decay = variant == 2;
      c.embedding_lr_scale = 2.0f;
      out.push_back(c);
    }
  }
  return out;
}

std::string describe(const OptimizerConfig& c) {
  return std::string(optimizer_kind_name(c.kind)) + " momentum=" + std::to_string(c.momentum) +
         " wd=" + std::to_string(c.weight_decay) + (c.decoupled_decay ? " decoupled" : "");
}

TEST(Sharding, DenseHalvesEqualOneCall) {
  for (const OptimizerConfig& c : all_configs()) {
    SCOPED_TRACE(describe(c));
    Rng rng(11);
    // 37 elements: odd split points exercise the vector loops' remainders.
    nn::Parameter a{"w", nn::Tensor(1, 37), false, true};
    testref::fill_random(a.value, rng);
    nn::Parameter b = a;
    auto whole = make_optimizer(c);
    auto split = make_optimizer(c);
    whole->add(a);
    split->add(b);
    nn::Tensor g(1, 37);
    for (int t = 0; t < 4; ++t) {
      testref::fill_random(g, rng);
      whole->begin_step();
      split->begin_step();
      whole->update_dense(0, g);
      split->update_dense(0, g, 13, 37);  // order must not matter either
      split->update_dense(0, g, 0, 13);
      ASSERT_TRUE(testref::bit_equal(a.value, b.value)) << "step " << t;
      for (size_t k = 0; k < whole->state(0).size(); ++k) {
        ASSERT_TRUE(testref::bit_equal(whole->state(0)[k], split->state(0)[k])) << "state " << k;
      }
    }
  }
}

TEST(Sharding, RowHalvesEqualOneCall) {
  for (const OptimizerConfig& c : all_configs()) {
    if (c.kind == OptimizerKind::kAdam) continue;  // no sparse tables
    SCOPED_TRACE(describe(c));
    Rng rng(12);
    nn::Parameter a{"emb", nn::Tensor(20, 7), true, true};
    testref::fill_random(a.value, rng);
    nn::Parameter b = a;
    auto whole = make_optimizer(c);
    auto split = make_optimizer(c);
    whole->add(a);
    split->add(b);
    for (int t = 0; t < 4; ++t) {
      nn::RowGrad g;
      g.rows = {0, 3, 4, 9, 15, 19};
      g.values.resize(g.rows.size(), 7);
      testref::fill_random(g.values, rng);
      whole->begin_step();
      split->begin_step();
      whole->update_rows(0, g);
      split->update_rows(0, g, 2, 6);
      split->update_rows(0, g, 0, 2);
      ASSERT_TRUE(testref::bit_equal(a.value, b.value)) << "step " << t;
      for (size_t k = 0; k < whole->state(0).size(); ++k) {
        ASSERT_TRUE(testref::bit_equal(whole->state(0)[k], split->state(0)[k])) << "state " << k;
      }
    }
  }
}

TEST(SparseUpdate, RejectsBadRowGradients) {
  OptimizerConfig c;
  c.kind = OptimizerKind::kAdagrad;
  auto opt = make_optimizer(c);
  nn::Parameter table{"emb.C1", nn::Tensor(5, 3), true, true};
  const size_t slot = opt->add(table);
  opt->begin_step();
  nn::RowGrad g;
  g.rows = {1, 5};
  g.values.resize(2, 3, true);
  try {
    opt->update_rows(slot, g);
    FAIL() << "row 5 of a 5-row table accepted";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("emb.C1"), std::string::npos) << e.message();
  }
  g.rows = {1, 2};
  g.values.resize(2, 4, true);
  EXPECT_THROW(opt->update_rows(slot, g), Error);  // wrong width
  g.values.resize(1, 3, true);
  EXPECT_THROW(opt->update_rows(slot, g), Error);  // fewer value rows than rows
  g.values.resize(2, 3, true);
  EXPECT_THROW(opt->update_rows(slot, g, 1, 3), Error);  // range past the end
  EXPECT_NO_THROW(opt->update_rows(slot, g));
}

TEST(SparseUpdate, EmptyRowGradChangesNothing) {
  OptimizerConfig c;
  c.kind = OptimizerKind::kLazyAdam;
  c.embedding_weight_decay = 0.5f;
  auto opt = make_optimizer(c);
  Rng rng(1);
  nn::Parameter table{"emb", nn::Tensor(4, 3), true, true};
  testref::fill_random(table.value, rng);
  const nn::Tensor before = table.value;
  opt->add(table);
  opt->begin_step();
  nn::RowGrad g;
  g.values.resize(0, 3);
  opt->update_rows(0, g);
  EXPECT_TRUE(testref::bit_equal(before, table.value));
}

TEST(SparseUpdate, DecayFlagOffDisablesEmbeddingDecay) {
  // A zero gradient on a touched row: only weight decay could move it.
  for (bool decoupled : {false, true}) {
    OptimizerConfig c;
    c.kind = OptimizerKind::kSgd;
    c.embedding_weight_decay = 0.5f;
    c.decoupled_decay = decoupled;
    auto opt = make_optimizer(c);
    nn::Parameter on{"on", nn::Tensor(2, 2), true, true};
    nn::Parameter off{"off", nn::Tensor(2, 2), true, false};
    on.value.fill(1.0f);
    off.value.fill(1.0f);
    opt->add(on);
    opt->add(off);
    opt->begin_step();
    nn::RowGrad g;
    g.rows = {1};
    g.values.resize(1, 2, true);
    opt->update_rows(0, g);
    opt->update_rows(1, g);
    EXPECT_FLOAT_EQ(on.value.at(1, 0), 1.0f - c.schedule.base * 0.5f);
    EXPECT_EQ(on.value.at(0, 0), 1.0f);  // untouched row: no decay
    EXPECT_EQ(off.value.at(1, 0), 1.0f);
  }
}

}  // namespace
}  // namespace reco::optim
