// save/load: train 3 steps, save, load into a fresh optimizer, 3 more steps == 6 straight.
#include <gtest/gtest.h>

#include "harness.h"
#include "reco/core/container.h"
#include "reco/core/error.h"
#include "testing/testing.h"

namespace reco::optim {
namespace {

struct Model {
  nn::Parameter weight{"bottom.0.weight", nn::Tensor(4, 6), false, true};
  nn::Parameter bias{"bottom.0.bias", nn::Tensor(1, 6), false, false};
  nn::Parameter table{"emb.C1", nn::Tensor(9, 3), true, true};
  explicit Model(uint64_t seed) {
    Rng rng(seed);
    testref::fill_random(weight.value, rng);
    testref::fill_random(bias.value, rng);
    testref::fill_random(table.value, rng);
  }
  bool sparse_ok(OptimizerKind kind) const { return kind != OptimizerKind::kAdam; }
  void add_to(Optimizer& opt) {
    opt.add(weight);
    opt.add(bias);
    if (sparse_ok(opt.config().kind)) opt.add(table);
  }
};

// Step t's gradients are a function of t only, so both runs see the same sequence.
void train_step(Optimizer& opt, Model& m, int t) {
  Rng rng(1000 + t);
  nn::Tensor gw(4, 6), gb(1, 6);
  testref::fill_random(gw, rng);
  testref::fill_random(gb, rng);
  opt.begin_step();
  opt.update_dense(0, gw);
  opt.update_dense(1, gb);
  if (m.sparse_ok(opt.config().kind)) {
    nn::RowGrad g;
    g.rows = {static_cast<uint32_t>(t % 9), 8};
    g.values.resize(2, 3);
    testref::fill_random(g.values, rng);
    opt.update_rows(2, g);
  }
}

std::vector<OptimizerConfig> configs() {
  std::vector<OptimizerConfig> out;
  for (OptimizerKind kind :
       {OptimizerKind::kSgd, OptimizerKind::kAdagrad, OptimizerKind::kAdam, OptimizerKind::kLazyAdam}) {
    OptimizerConfig c;
    c.kind = kind;
    c.schedule.base = 0.05f;
    c.schedule.warmup_steps = 2;
    c.schedule.decay = LrDecay::kLinear;
    c.schedule.decay_steps = 5;
    c.momentum = kind == OptimizerKind::kSgd ? 0.9f : 0.0f;
    c.weight_decay = 0.01f;
    c.embedding_weight_decay = 0.02f;
    out.push_back(c);
  }
  return out;
}

TEST(Checkpoint, ResumesBitIdentically) {
  testing::TempDir dir;
  for (const OptimizerConfig& c : configs()) {
    SCOPED_TRACE(std::string(optimizer_kind_name(c.kind)));
    Model straight(5);
    auto opt_straight = make_optimizer(c);
    straight.add_to(*opt_straight);
    for (int t = 1; t <= 6; ++t) train_step(*opt_straight, straight, t);

    Model first(5);
    auto opt_first = make_optimizer(c);
    first.add_to(*opt_first);
    for (int t = 1; t <= 3; ++t) train_step(*opt_first, first, t);
    const std::string path = dir.file(std::string(optimizer_kind_name(c.kind)) + ".bin");
    {
      ContainerWriter w(path, "optim", 1);
      opt_first->save(w, "opt/");
      w.commit();
    }
    // A fresh optimizer over the weights as they were at the save.
    Model resumed = first;
    auto opt_resumed = make_optimizer(c);
    resumed.add_to(*opt_resumed);
    opt_resumed->load(Container::open(path, "optim", 1), "opt/");
    EXPECT_EQ(opt_resumed->step(), 3);
    EXPECT_EQ(opt_resumed->lr(), opt_first->lr());
    for (int t = 4; t <= 6; ++t) train_step(*opt_resumed, resumed, t);

    EXPECT_TRUE(testref::bit_equal(straight.weight.value, resumed.weight.value));
    EXPECT_TRUE(testref::bit_equal(straight.bias.value, resumed.bias.value));
    EXPECT_TRUE(testref::bit_equal(straight.table.value, resumed.table.value));
    for (size_t s = 0; s < opt_straight->slots(); ++s) {
      for (size_t k = 0; k < opt_straight->state(s).size(); ++k) {
        EXPECT_TRUE(testref::bit_equal(opt_straight->state(s)[k], opt_resumed->state(s)[k])) << s << "/" << k;
      }
    }
  }
}

TEST(Checkpoint, MismatchesAreCorrupt) {
  testing::TempDir dir;
  OptimizerConfig c;
  c.kind = OptimizerKind::kAdagrad;
  Model m(1);
  auto opt = make_optimizer(c);
  m.add_to(*opt);
  train_step(*opt, m, 1);
  const std::string path = dir.file("opt.bin");
  {
    ContainerWriter w(path, "optim", 1);
    opt->save(w, "");
    w.commit();
  }
  const Container in = Container::open(path, "optim", 1);

  auto expect_corrupt = [&](Optimizer& target, const std::string& needle) {
    try {
      target.load(in, "");
      ADD_FAILURE() << "load accepted a mismatching checkpoint";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCorrupt) << e.message();
      EXPECT_NE(e.message().find(needle), std::string::npos) << e.message();
    }
  };
  {  // another shape
    nn::Parameter w{"bottom.0.weight", nn::Tensor(4, 7), false, true};
    nn::Parameter b{"bottom.0.bias", nn::Tensor(1, 6), false, false};
    nn::Parameter t{"emb.C1", nn::Tensor(9, 3), true, true};
    auto other = make_optimizer(c);
    other->add(w);
    other->add(b);
    other->add(t);
    expect_corrupt(*other, "bottom.0.weight");
    EXPECT_EQ(other->step(), 0);  // a failed load leaves the optimizer as it was
  }
  {  // another kind
    OptimizerConfig s;
    s.kind = OptimizerKind::kSgd;
    Model m2(1);
    auto other = make_optimizer(s);
    m2.add_to(*other);
    expect_corrupt(*other, "adagrad");
  }
  {  // fewer parameters
    Model m3(1);
    auto other = make_optimizer(c);
    other->add(m3.weight);
    expect_corrupt(*other, "3");
  }
}

TEST(Checkpoint, RejectsLongPrefix) {
  testing::TempDir dir;
  OptimizerConfig c;
  auto opt = make_optimizer(c);
  ContainerWriter w(dir.file("x.bin"), "optim", 1);
  EXPECT_THROW(opt->save(w, std::string(40, 'p')), Error);
}

}  // namespace
}  // namespace reco::optim
