// Finite-difference check of the whole two-tower model: loss of a batch w.r.t. a few rows of
// the three id tables and a few MLP weights of both towers (with history, logQ, a random
// negative column, duplicate items, with and without L2 normalisation).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "reco/twotower/in_batch_softmax.h"
#include "reco/twotower/two_tower_model.h"

namespace reco::twotower {
namespace {

struct Batch {
  std::vector<uint32_t> users{0, 1, 2, 1, 3};
  std::vector<uint32_t> hist_ids{4, 1, 2, 2, 0, 5, 6};
  std::vector<uint64_t> hist_off{0, 2, 3, 3, 5, 7};  // user 2 has an empty history
  std::vector<uint32_t> cols{3, 5, 3, 0, 6, 2};     // 5 positives (item 3 twice) + 1 random
  std::vector<float> log_q{-1.0f, -2.0f, -1.0f, -0.5f, -1.5f, -3.0f};
};

struct Grads {
  std::vector<nn::RowGrad> tables;  // user, hist, item
  std::vector<nn::Tensor> user_mlp, item_mlp;
};

double batch_loss(const TwoTowerModel& m, const Batch& b, Grads* g) {
  TowerWorkspace uw, iw;
  m.user_mlp().prepare(uw.mlp);
  m.item_mlp().prepare(iw.mlp);
  const nn::BagBatch hist{b.hist_ids, b.hist_off, {}};
  m.user_forward(b.users, hist, uw);
  m.item_forward(b.cols, iw);
  nn::Tensor s, du(uw.out.rows(), uw.out.cols()), dv(iw.out.rows(), iw.out.cols());
  const double loss = in_batch_softmax_loss(uw.out, iw.out, b.cols, b.log_q, 1.0f / m.config().temperature, {},
                                            1.0f, s, du, dv);
  if (!g) return loss;
  m.tower_backward(true, du, uw);
  m.tower_backward(false, dv, iw);
  const size_t e = m.config().embed_dim;
  g->tables.assign(3, {});
  nn::RowGradScratch scratch;
  const_cast<TwoTowerModel&>(m).user_embedding().backward(nn::BagBatch{b.users, {}, {}},
                                                          uw.dinput.view().cols_slice(0, e), g->tables[0], scratch);
  const_cast<TwoTowerModel&>(m).history_embedding().backward(hist, uw.dinput.view().cols_slice(e, e), g->tables[1],
                                                             scratch);
  const_cast<TwoTowerModel&>(m).item_embedding().backward(nn::BagBatch{b.cols, {}, {}}, iw.dinput, g->tables[2],
                                                          scratch);
  for (auto* t : nn::Mlp::gradients(uw.mlp)) g->user_mlp.push_back(*t);
  for (auto* t : nn::Mlp::gradients(iw.mlp)) g->item_mlp.push_back(*t);
  return loss;
}

float row_grad(const nn::RowGrad& g, uint32_t row, size_t col) {
  for (size_t i = 0; i < g.rows.size(); ++i)
    if (g.rows[i] == row) return g.values.at(i, col);
  return 0.0f;
}

void check_model(bool normalize) {
  TwoTowerConfig c;
  c.dim = 5;
  c.embed_dim = 4;
  c.hidden = 6;
  c.history = 3;
  c.temperature = 0.5f;
  c.normalize = normalize;
  c.init_scale = 0.5f;
  TwoTowerModel m(c, {10, 11, 12, 13}, {20, 21, 22, 23, 24, 25, 26}, 99);
  // Biases start at zero, so a row whose ReLU layer is all dead outputs exactly zero, where the
  // L2 normalisation is not differentiable and central differences jump. Non-zero biases keep
  // every tower output away from the origin.
  for (nn::Mlp* mlp : {&m.user_mlp(), &m.item_mlp()})
    for (nn::Parameter* p : mlp->parameters())
      if (p->name.find("bias") != std::string::npos)
        for (size_t k = 0; k < p->value.size(); ++k) p->value.data()[k] = 0.25f + 0.1f * static_cast<float>(k % 3);
  Batch b;
  Grads g;
  batch_loss(m, b, &g);
  const float h = 2e-3f;
  auto fd = [&](float& x) {
    const float keep = x;
    x = keep + h;
    const double up = batch_loss(m, b, nullptr);
    x = keep - h;
    const double down = batch_loss(m, b, nullptr);
    x = keep;
    return (up - down) / (2.0 * h);
  };
  auto expect = [&](float analytic, double numeric, const std::string& what) {
    EXPECT_NEAR(analytic, numeric, 3e-3 + 3e-2 * std::fabs(numeric)) << what << (normalize ? " (normalized)" : "");
  };
  nn::EmbeddingBag* tables[3] = {&m.user_embedding(), &m.history_embedding(), &m.item_embedding()};
  const uint32_t rows[3][2] = {{1, 3}, {2, 5}, {3, 0}};  // touched rows, incl. duplicates
  for (int t = 0; t < 3; ++t)
    for (uint32_t r : rows[t])
      for (size_t col = 0; col < c.embed_dim; ++col)
        expect(row_grad(g.tables[t], r, col), fd(tables[t]->table().value.at(r, col)),
               tables[t]->table().name + " row " + std::to_string(r) + " col " + std::to_string(col));
  // An untouched item row gets no gradient.
  EXPECT_EQ(row_grad(g.tables[2], 4, 0), 0.0f);
  for (int tower = 0; tower < 2; ++tower) {
    nn::Mlp& mlp = tower == 0 ? m.user_mlp() : m.item_mlp();
    const auto& grads = tower == 0 ? g.user_mlp : g.item_mlp;
    const auto params = mlp.parameters();
    for (size_t p = 0; p < params.size(); ++p)
      for (size_t k = 0; k < params[p]->value.size(); k += 3)
        expect(grads[p].data()[k], fd(params[p]->value.data()[k]), params[p]->name + "[" + std::to_string(k) + "]");
  }
}

TEST(TwoTowerModelGradient, MatchesFiniteDifferences) { check_model(false); }
TEST(TwoTowerModelGradient, MatchesFiniteDifferencesNormalized) { check_model(true); }

}  // namespace
}  // namespace reco::twotower
