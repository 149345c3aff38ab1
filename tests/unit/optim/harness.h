// Test drivers shared by the per-optimizer tests: run the optimizer under test and the
// double-precision reference (reference.h) side by side on random gradients.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "reco/core/rng.h"
#include "reco/nn/parameter.h"
#include "reco/optim/optimizer.h"
#include "reference.h"

namespace reco::optim::testref {

inline void expect_close(const nn::Tensor& got, const std::vector<double>& want, double tol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(got.data()[i], want[i], tol * (1.0 + std::fabs(want[i]))) << what << " element " << i;
  }
}

inline bool bit_equal(const nn::Tensor& a, const nn::Tensor& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         (a.size() == 0 || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

/// A weight [3, 5] (decay on) and a bias [1, 5] (decay off), random gradients for `steps`
/// steps; after every step both must match the reference within `tol` (relative).
inline void expect_dense_matches_reference(const OptimizerConfig& c, int steps, double tol = 2e-5) {
  Rng rng(42);
  nn::Parameter weight{"w", nn::Tensor(3, 5), false, true};
  nn::Parameter bias{"b", nn::Tensor(1, 5), false, false};
  fill_random(weight.value, rng);
  fill_random(bias.value, rng);
  auto opt = make_optimizer(c);
  const size_t sw = opt->add(weight);
  const size_t sb = opt->add(bias);
  RefParam rw = make_ref(weight.value, c, false, true);
  RefParam rb = make_ref(bias.value, c, false, false);
  nn::Tensor gw(3, 5), gb(1, 5);
  for (int t = 1; t <= steps; ++t) {
    fill_random(gw, rng, 0.5);
    fill_random(gb, rng, 0.5);
    opt->begin_step();
    ASSERT_NEAR(opt->lr(), lr_at(c.schedule, t), 1e-6 * lr_at(c.schedule, t));
    opt->update_dense(sw, gw);
    opt->update_dense(sb, gb);
    step_dense(c, t, rw, to_double(gw));
    step_dense(c, t, rb, to_double(gb));
    expect_close(weight.value, rw.w, tol, "weight at step " + std::to_string(t));
    expect_close(bias.value, rb.w, tol, "bias at step " + std::to_string(t));
  }
}

/// A sparse table [10, 4]; each step touches a random subset of rows. Touched rows must
/// match the reference; untouched rows and their state stay bit-identical.
inline void expect_sparse_matches_reference(const OptimizerConfig& c, int steps, double tol = 2e-5) {
  Rng rng(7);
  nn::Parameter table{"emb", nn::Tensor(10, 4), true, true};
  fill_random(table.value, rng);
  auto opt = make_optimizer(c);
  const size_t slot = opt->add(table);
  RefParam ref = make_ref(table.value, c, true, true);
  for (int t = 1; t <= steps; ++t) {
    nn::RowGrad g;
    for (uint32_t r = 0; r < 10; ++r) {
      if (rng.below(2) == 0) g.rows.push_back(r);
    }
    if (t == 1) g.rows = {1, 4, 7};  // a known subset, so row 0 stays untouched at step 1
    g.values.resize(g.rows.size(), 4);
    fill_random(g.values, rng, 0.5);
    const nn::Tensor before = table.value;
    const std::vector<nn::Tensor> state_before = opt->state(slot);
    opt->begin_step();
    opt->update_rows(slot, g);
    std::vector<size_t> idx;
    std::vector<double> gv;
    for (size_t i = 0; i < g.rows.size(); ++i) {
      for (size_t d = 0; d < 4; ++d) {
        idx.push_back(g.rows[i] * 4 + d);
        gv.push_back(g.values.at(i, d));
      }
    }
    step(c, t, ref, idx, gv);
    expect_close(table.value, ref.w, tol, "table at step " + std::to_string(t));
    for (uint32_t r = 0; r < 10; ++r) {
      if (std::find(g.rows.begin(), g.rows.end(), r) != g.rows.end()) continue;
      ASSERT_EQ(0, std::memcmp(before.row(r), table.value.row(r), 4 * sizeof(float))) << "row " << r << " step " << t;
      for (size_t k = 0; k < state_before.size(); ++k) {
        ASSERT_EQ(0, std::memcmp(state_before[k].row(r), opt->state(slot)[k].row(r), 4 * sizeof(float)))
            << "state " << k << " of untouched row " << r << " step " << t;
      }
    }
  }
}

}  // namespace reco::optim::testref
