// PixieWalk: visit frequencies vs the exact personalized PageRank with restart
// (power iteration), step allocation, multi-hit boosting, early stopping,
// determinism.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "reco/core/rng.h"
#include "reco/graph/graph_builder.h"
#include "reco/graph/pixie_math.h"
#include "reco/graph/pixie_walk.h"

namespace reco::graph {
namespace {

BipartiteGraph random_graph(uint64_t seed, uint32_t n_left, uint32_t n_right, uint32_t edges, bool weighted) {
  Rng rng(seed);
  EdgeListBuilder b;
  // A spanning path left i - right i - left i+1 ... keeps the graph connected.
  for (uint32_t r = 0; r < n_right; ++r) {
    b.add(r % n_left, 100 + r, 1.0f, weighted);
    b.add((r + 1) % n_left, 100 + r, 1.0f, weighted);
  }
  for (uint32_t e = 0; e < edges; ++e)
    b.add(rng.below(n_left), 100 + rng.below(n_right), 0.5f + static_cast<float>(rng.below(8)), weighted);
  return build_graph(b.finish(), {});
}

// Exact distribution of the items a walk lands on: v = (alpha e_q + (1 - alpha)
// v) P.
std::vector<double> exact_ppr(const BipartiteGraph &g, uint32_t q, double alpha, bool weighted) {
  const uint32_t n = g.right_count();
  const CsrView &r2l = g.right_to_left();
  const CsrView &l2r = g.left_to_right();
  auto row_sum = [](std::span<const float> w) {
    double s = 0;
    for (float x : w) s += x;
    return s;
  };
  std::vector<std::vector<double>> P(n, std::vector<double>(n, 0.0));
  for (uint32_t i = 0; i < n; ++i) {
    const auto boards = r2l.row(i);
    const double wi = row_sum(r2l.row_weights(i));
    for (size_t a = 0; a < boards.size(); ++a) {
      const double pb = weighted ? r2l.row_weights(i)[a] / wi : 1.0 / boards.size();
      const auto items = l2r.row(boards[a]);
      const double wb = row_sum(l2r.row_weights(boards[a]));
      for (size_t c = 0; c < items.size(); ++c)
        P[i][items[c]] += pb * (weighted ? l2r.row_weights(boards[a])[c] / wb : 1.0 / items.size());
    }
  }
  std::vector<double> v(n, 1.0 / n);
  for (int it = 0; it < 500; ++it) {
    std::vector<double> start(n);
    for (uint32_t i = 0; i < n; ++i) start[i] = (1 - alpha) * v[i];
    start[q] += alpha;
    std::vector<double> next(n, 0.0);
    for (uint32_t i = 0; i < n; ++i)
      for (uint32_t j = 0; j < n; ++j) next[j] += start[i] * P[i][j];
    v = next;
  }
  return v;
}

double total_variation(const BipartiteGraph &g, const PixieResult &r, const std::vector<double> &exact) {
  double tv = 0.0;
  const double n = static_cast<double>(r.total_steps());
  for (uint32_t i = 0; i < g.right_count(); ++i) tv += std::abs(r.visits[0].get(i) / n - exact[i]);
  return tv / 2;
}

void check_ppr(bool weighted, int threads, int walkers) {
  const BipartiteGraph g = random_graph(7, 9, 15, 40, weighted);
  PixieOptions opt;
  opt.steps = 1'000'000;
  opt.alpha = 0.3;
  opt.weighted = weighted;
  opt.walkers = walkers;
  const PixieWalk walk(g, opt);
  const uint32_t q = 3;
  const PixieResult r = walk.walk_nodes(std::vector<uint32_t>{q}, {}, RunContext{threads, 11});
  EXPECT_EQ(r.total_steps(), opt.steps);
  const auto exact = exact_ppr(g, q, opt.alpha, weighted);
  // Sampling error of 1e6 correlated steps over 15 items is ~1e-3; 0.01 is a
  // clear margin and below the TV between the weighted and unweighted chains
  // (checked below).
  EXPECT_LT(total_variation(g, r, exact), 0.01);
  if (weighted) {  // the test can tell the two chains apart
    const auto other = exact_ppr(g, q, opt.alpha, false);
    EXPECT_GT(total_variation(g, r, other), 0.02);
  }
}

TEST(PixieWalk, UniformMatchesPowerIteration) { check_ppr(false, 1, 1); }
TEST(PixieWalk, WeightedMatchesPowerIteration) { check_ppr(true, 1, 1); }
TEST(PixieWalk, TwoThreadsMatchPowerIteration) { check_ppr(false, 2, 1); }
TEST(PixieWalk, InterleavedWalkersMatchPowerIteration) {
  check_ppr(false, 1, 16);
  check_ppr(true, 2, 7);
}

TEST(PixieMath, StepScaleAndAllocation) {
  const double C = std::log(100.0);
  EXPECT_DOUBLE_EQ(pixie_step_scale(10, C), 10 * (C - std::log(10.0)));
  EXPECT_DOUBLE_EQ(pixie_step_scale(100, C), 0.0);
  EXPECT_DOUBLE_EQ(pixie_step_scale(0, C), 0.0);
  EXPECT_DOUBLE_EQ(pixie_step_scale(200, C), 0.0);  // clamped
  // s grows with degree below the maximum, slower than linearly.
  EXPECT_GT(pixie_step_scale(20, C), pixie_step_scale(10, C));
  EXPECT_LT(pixie_step_scale(20, C), 2 * pixie_step_scale(10, C));

  const std::vector<double> w = {1.0, 2.0, 1.0, 0.5};
  const std::vector<double> s = {pixie_step_scale(5, C), pixie_step_scale(5, C), pixie_step_scale(40, C),
                                 pixie_step_scale(100, C)};
  const auto steps = allocate_steps(100001, w, s);
  uint64_t sum = 0;
  for (auto x : steps) sum += x;
  EXPECT_EQ(sum, 100001u);
  double z = 0;
  for (size_t i = 0; i < w.size(); ++i) z += w[i] * s[i];
  for (size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(double(steps[i]), 100001 * w[i] * s[i] / z, 1.0);
  EXPECT_EQ(steps[3], 0u);
  // All products zero: split by the weights.
  const auto fallback = allocate_steps(30, std::vector<double>{1, 2}, std::vector<double>{0, 0});
  EXPECT_EQ(fallback, (std::vector<uint64_t>{10, 20}));
}

TEST(PixieMath, MultiHitBoost) {
  EXPECT_DOUBLE_EQ(boost_visits(std::vector<uint32_t>{4, 9}), 25.0);
  EXPECT_DOUBLE_EQ(boost_visits(std::vector<uint32_t>{16}), 16.0);
  EXPECT_DOUBLE_EQ(boost_visits(std::vector<uint32_t>{0, 0}), 0.0);

  // pixie_top on hand-made counts: node a reached 4 + 9 times from two queries
  // beats node b reached 16 times from one (25 > 16), although 13 < 16 without
  // boosting.
  const BipartiteGraph g = random_graph(1, 4, 8, 10, false);
  PixieResult r;
  r.query_nodes = {0, 1};
  r.visits.resize(2);
  r.visits[0].add(2, 4);
  r.visits[1].add(2, 9);
  r.visits[1].add(3, 16);
  r.visits[0].add(1, 50);  // a query node: never returned
  const auto top = pixie_top(g, r, 10);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].first, 2u);
  EXPECT_DOUBLE_EQ(top[0].second, 25.0);
  EXPECT_EQ(top[1].first, 3u);
  EXPECT_DOUBLE_EQ(top[1].second, 16.0);
  // A segment filter drops items.
  const uint64_t id3 = g.right_id(3);
  const auto filtered = pixie_top(g, r, 10, [&](uint64_t id) { return id != id3; });
  ASSERT_EQ(filtered.size(), 1u);
  EXPECT_EQ(filtered[0].first, 2u);
}

TEST(PixieWalk, WalkAllocatesStepsByFormula) {
  const BipartiteGraph g = random_graph(3, 12, 40, 200, false);
  PixieOptions opt;
  opt.steps = 50'000;
  const PixieWalk walk(g, opt);
  const std::vector<uint32_t> q = {0, 5, 9};
  const std::vector<float> w = {1.0f, 3.0f, 0.5f};
  const PixieResult r = walk.walk_nodes(q, w, RunContext{1, 5});
  const double C = std::log(double(g.max_right_degree()));
  std::vector<double> wd, sd;
  for (size_t i = 0; i < q.size(); ++i) {
    wd.push_back(w[i]);
    sd.push_back(pixie_step_scale(g.right_to_left().degree(q[i]), C));
  }
  EXPECT_EQ(r.steps_allocated, allocate_steps(opt.steps, wd, sd));
  EXPECT_EQ(r.steps_walked, r.steps_allocated);
}

TEST(PixieWalk, EarlyStopping) {
  for (int walkers : {1, 16}) {
    SCOPED_TRACE(walkers);
    const BipartiteGraph g = random_graph(4, 20, 200, 1500, false);
    PixieOptions opt;
    opt.walkers = walkers;
    opt.steps = 200'000;
    opt.alpha = 0.5;
    opt.n_p = 10;
    opt.n_v = 5;
    const PixieWalk walk(g, opt);
    const uint32_t q = 7;
    const PixieResult r = walk.walk_nodes(std::vector<uint32_t>{q}, {}, RunContext{1, 3});
    EXPECT_LT(r.steps_walked[0], r.steps_allocated[0]);
    size_t reached = 0;
    r.visits[0].for_each([&](uint32_t node, uint32_t c) { reached += node != q && c >= opt.n_v; });
    EXPECT_EQ(reached,
              opt.n_p);  // stopped exactly when the n_p-th item reached n_v
    opt.n_p = 0;
    const PixieResult full = PixieWalk(g, opt).walk_nodes(std::vector<uint32_t>{q}, {}, RunContext{1, 3});
    EXPECT_EQ(full.steps_walked[0], opt.steps);
  }
}

std::map<uint32_t, uint32_t> as_map(const VisitCounter &v) {
  std::map<uint32_t, uint32_t> m;
  v.for_each([&](uint32_t n, uint32_t c) { m[n] = c; });
  return m;
}

TEST(PixieWalk, DeterministicWithSeed) {
  const BipartiteGraph g = random_graph(5, 30, 300, 2000, true);
  PixieOptions opt;
  opt.steps = 100'000;
  opt.weighted = true;
  for (int walkers : {1, 16}) {
    opt.walkers = walkers;
    const PixieWalk walk(g, opt);
    const std::vector<uint64_t> items = {g.right_id(1), g.right_id(2), g.right_id(50)};
    for (int threads : {1, 2}) {
      const PixieResult a = walk.walk(items, {}, RunContext{threads, 99});
      const PixieResult b = walk.walk(items, {}, RunContext{threads, 99});
      const PixieResult c = walk.walk(items, {}, RunContext{threads, 100});
      ASSERT_EQ(a.visits.size(), 3u);
      bool differs = false;
      for (size_t q = 0; q < 3; ++q) {
        EXPECT_EQ(as_map(a.visits[q]), as_map(b.visits[q]));
        differs |= as_map(a.visits[q]) != as_map(c.visits[q]);
      }
      EXPECT_TRUE(differs);
      CandidateRequest req;
      req.items = items;
      req.k = 20;
      const auto ca = walk.query(req, RunContext{threads, 99});
      const auto cb = walk.query(req, RunContext{threads, 99});
      ASSERT_EQ(ca.size(), 20u);
      for (size_t i = 0; i < ca.size(); ++i) {
        EXPECT_EQ(ca[i].item, cb[i].item);
        EXPECT_EQ(ca[i].score, cb[i].score);
        EXPECT_EQ(ca[i].source, candidate_source::kPixie);
        for (uint64_t q : items) EXPECT_NE(ca[i].item, q);
        if (i) {
          EXPECT_GE(ca[i - 1].score, ca[i].score);
        }
      }
    }
  }
  // Unknown query ids are skipped, not fatal.
  const PixieWalk walk(g, opt);
  const PixieResult u = walk.walk(std::vector<uint64_t>{424242424242ULL}, {}, RunContext{1, 1});
  EXPECT_EQ(u.skipped_queries, 1u);
  EXPECT_EQ(u.total_steps(), 0u);
}

}  // namespace
}  // namespace reco::graph
