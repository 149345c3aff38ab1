#include "reco/tuning/bayes_optimizer.h"

#include <gtest/gtest.h>

#include <cmath>

#include "reco/tuning/test_functions.h"

namespace reco::tuning {
namespace {

// Runs `budget` sequential trials maximizing f; returns the finished trials.
template <typename F>
std::vector<Observation> run(BayesOptimizer& bo, size_t budget, size_t q, F f) {
  std::vector<Observation> done;
  while (done.size() < budget) {
    for (auto& u : bo.propose(done, {}, q)) {
      Observation o;
      o.unit = u;
      f(o);
      done.push_back(o);
    }
  }
  return done;
}

TEST(BayesOptimizer, FindsBraninMinimumWithinOnePercent) {
  BayesOptions opt;
  opt.seed = 3;
  opt.noisy = false;
  BayesOptimizer bo(2, 0, opt);
  const auto done = run(bo, 40, 1, [](Observation& o) { o.value = -test_functions::branin_unit(o.unit); });
  const auto best = BayesOptimizer::best_feasible(done);
  ASSERT_TRUE(best.has_value());
  const double best_min = -done[*best].value;
  EXPECT_LE(best_min, test_functions::kBraninMinimum * 1.01) << "best Branin value after 40 trials";
}

TEST(BayesOptimizer, ConstrainedOptimumIsFeasible) {
  // Maximize x0 + x1 subject to x0 <= 0.4 and x0 + x1 <= 1.2 (slacks >= 0): optimum 1.2 on a face.
  BayesOptions opt;
  opt.seed = 5;
  opt.noisy = false;
  BayesOptimizer bo(2, 2, opt);
  const auto done = run(bo, 30, 1, [](Observation& o) {
    o.value = o.unit[0] + o.unit[1];
    o.constraints = {0.4 - o.unit[0], 1.2 - o.unit[0] - o.unit[1]};
  });
  const auto best = BayesOptimizer::best_feasible(done);
  ASSERT_TRUE(best.has_value());
  for (double s : done[*best].constraints) EXPECT_GE(s, 0.0);
  EXPECT_GT(done[*best].value, 1.15);
  // The model-based proposals concentrate on the feasible side.
  size_t infeasible_late = 0;
  for (size_t i = 15; i < done.size(); ++i)
    if (done[i].constraints[0] < -0.05 || done[i].constraints[1] < -0.05) ++infeasible_late;
  EXPECT_LE(infeasible_late, 5u);
}

TEST(BayesOptimizer, BatchProposalsAreDistinctAndDeterministic) {
  BayesOptions opt;
  opt.seed = 9;
  BayesOptimizer a(2, 0, opt), b(2, 0, opt);
  auto f = [](Observation& o) { o.value = -test_functions::branin_unit(o.unit); };
  const auto done = run(a, 12, 4, f);
  const auto done_b = run(b, 12, 4, f);
  for (size_t i = 0; i < done.size(); ++i) EXPECT_EQ(done[i].unit, done_b[i].unit);
  const auto batch = a.propose(done, {}, 4);
  ASSERT_EQ(batch.size(), 4u);
  for (size_t i = 0; i < batch.size(); ++i)
    for (size_t j = 0; j < i; ++j) {
      const double dist = std::hypot(batch[i][0] - batch[j][0], batch[i][1] - batch[j][1]);
      EXPECT_GT(dist, 1e-3) << "batch points " << i << " and " << j;
    }
}

TEST(BayesOptimizer, InitialDesignContinuesAcrossCalls) {
  BayesOptions opt;
  opt.seed = 4;
  opt.initial_points = 6;
  BayesOptimizer a(3, 0, opt), b(3, 0, opt);
  const auto all = a.propose({}, {}, 6);
  std::vector<std::vector<double>> pending(all.begin(), all.begin() + 2);
  const auto rest = b.propose({}, pending, 4);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(rest[i], all[i + 2]);
}

}  // namespace
}  // namespace reco::tuning
