// HOP-Rec: gradient of the margin-gated pairwise term vs finite differences (both sides
// of the gate) and the item step; planted user-item blocks -> held-out in-block items rank
// above out-of-block ones; one thread is bit-identical; weighted edges; the start user is
// drawn ∝ degree^source_power and the walk step ∝ weight^step_power (counted through the
// users / items a short run leaves untouched).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "reco/graph/hoprec.h"
#include "reco/graph/sgns_math.h"

namespace reco::graph {
namespace {

std::vector<float> random_vec(Rng& rng, uint32_t dim, float scale) {
  std::vector<float> v(dim);
  for (float& x : v) x = scale * float(rng.normal());
  return v;
}

TEST(HopMath, GradientMatchesFiniteDifferences) {
  const uint32_t dim = 5;
  HopTerm h{0.5f, 2.0f, 0.03f, 0.01f};
  Rng rng(17);
  for (int trial = 0; trial < 4; ++trial) {
    std::vector<float> u = random_vec(rng, dim, 0.6f), i = random_vec(rng, dim, 0.6f), j = random_vec(rng, dim, 0.6f);
    const float x = dot(u.data(), i.data(), dim) - dot(u.data(), j.data(), dim);
    if (std::abs(x - h.margin) < 0.1f) continue;  // stay off the gate's discontinuity
    std::vector<float> du(dim), di(dim), dj(dim);
    hop_gradient(u.data(), i.data(), j.data(), dim, h, du.data(), di.data(), dj.data());
    const float eps = 1e-2f;
    auto numeric = [&](float* p) {
      const float keep = *p;
      *p = keep + eps;
      const double lp = hop_loss(u.data(), i.data(), j.data(), dim, h);
      *p = keep - eps;
      const double lm = hop_loss(u.data(), i.data(), j.data(), dim, h);
      *p = keep;
      return (lp - lm) / (2 * eps);
    };
    for (uint32_t d = 0; d < dim; ++d) {
      EXPECT_NEAR(du[d], numeric(&u[d]), 2e-3) << "du " << d;
      EXPECT_NEAR(di[d], numeric(&i[d]), 2e-3) << "di " << d;
      EXPECT_NEAR(dj[d], numeric(&j[d]), 2e-3) << "dj " << d;
    }
    // The item step is -lr × gradient; the user's gradient is accumulated for the caller.
    const bool open = x <= h.margin;
    std::vector<float> i1 = i, j1 = j, acc(dim, 0.0f);
    double loss = 0.0;
    EXPECT_EQ(hop_step_items(u.data(), i1.data(), j1.data(), dim, h, 0.1f, acc.data(), loss), open);
    for (uint32_t d = 0; d < dim; ++d) {
      EXPECT_NEAR(i1[d], i[d] - 0.1f * di[d], 1e-6);
      EXPECT_NEAR(j1[d], j[d] - 0.1f * dj[d], 1e-6);
      EXPECT_NEAR(acc[d], du[d], 1e-6);
    }
  }
  // Both sides of the gate were exercised by construction: a large margin opens it, a negative one closes it.
  std::vector<float> u(dim, 0.1f), i(dim, 0.2f), j(dim, 0.0f), g(dim), gi(dim), gj(dim);
  HopTerm closed{1.0f, -1.0f, 0.0f, 0.0f};
  EXPECT_EQ(hop_loss(u.data(), i.data(), j.data(), dim, closed), 0.0);
  hop_gradient(u.data(), i.data(), j.data(), dim, closed, g.data(), gi.data(), gj.data());
  EXPECT_EQ(g[0], 0.0f);
}

// Users 0..B*U-1 in B blocks; user in block b interacts with a random 60% of block b's items.
// Held out: one interacted item per user, removed from training.
struct Planted {
  Interactions train;
  std::vector<std::pair<uint64_t, uint64_t>> held;  // (user, item)
};
Planted planted_blocks(uint64_t seed, int blocks, int users_per, int items_per) {
  Rng rng(seed);
  Planted p;
  for (int b = 0; b < blocks; ++b)
    for (int u = 0; u < users_per; ++u) {
      const uint64_t user = 100 + b * users_per + u;
      bool held = false;
      for (int i = 0; i < items_per; ++i) {
        if (rng.uniform() > 0.6) continue;
        const uint64_t item = 5000 + b * items_per + i;
        if (!held) {
          p.held.push_back({user, item});
          held = true;
          continue;
        }
        p.train.user.push_back(user);
        p.train.item.push_back(item);
        p.train.weight.push_back(1.0f);
        p.train.timestamp.push_back(int64_t(p.train.size()));
      }
    }
  return p;
}

double score(const Embeddings& e, uint64_t user, uint64_t item) {
  const auto u = e.users().row(e.users().find(user));
  const auto v = e.items().row(e.items().find(item));
  double s = 0.0;
  for (size_t d = 0; d < u.size(); ++d) s += u[d] * v[d];
  return s;
}

TEST(HopRec, PlantedBlocksRankHeldOutInBlockItemsFirst) {
  const int blocks = 4, users_per = 30, items_per = 25;
  const Planted p = planted_blocks(21, blocks, users_per, items_per);
  HopRecOptions o;
  o.dim = 16;
  o.epochs = 40;
  HopRecReport rep;
  const Embeddings e = train_hoprec(p.train, o, RunContext{1, 3}, &rep);
  EXPECT_EQ(e.metric(), EmbeddingMetric::kDot);
  ASSERT_TRUE(e.has_users());
  EXPECT_EQ(rep.edges, p.train.size());
  ASSERT_EQ(rep.loss_per_epoch.size(), 40u);
  EXPECT_LT(rep.loss_per_epoch.back(), rep.loss_per_epoch.front());
  // AUC of held-out in-block item vs every out-of-block item.
  uint64_t wins = 0, pairs = 0;
  for (auto [user, item] : p.held) {
    ASSERT_NE(e.users().find(user), kNoRow);
    if (e.items().find(item) == kNoRow) continue;
    const int b = int((user - 100) / users_per);
    const double s = score(e, user, item);
    for (int other = 0; other < blocks * items_per; ++other) {
      if (other / items_per == b) continue;
      const uint64_t neg = 5000 + other;
      if (e.items().find(neg) == kNoRow) continue;
      wins += s > score(e, user, neg);
      ++pairs;
    }
  }
  ASSERT_GT(pairs, 1000u);
  EXPECT_GT(wins / double(pairs), 0.95);
}

TEST(HopRec, OneThreadIsBitIdentical) {
  const Planted p = planted_blocks(5, 3, 10, 10);
  HopRecOptions o;
  o.dim = 8;
  o.samples = 3000;
  const Embeddings a = train_hoprec(p.train, o, RunContext{1, 4});
  const Embeddings b = train_hoprec(p.train, o, RunContext{1, 4});
  const Embeddings c = train_hoprec(p.train, o, RunContext{1, 5});
  auto same = [](const Embeddings& x, const Embeddings& y) {
    return std::equal(x.items().vectors().begin(), x.items().vectors().end(), y.items().vectors().begin()) &&
           std::equal(x.users().vectors().begin(), x.users().vectors().end(), y.users().vectors().begin());
  };
  EXPECT_TRUE(same(a, b));
  EXPECT_FALSE(same(a, c));
  const Embeddings d = train_hoprec(p.train, o, RunContext{2, 4});
  EXPECT_EQ(d.users().size(), a.users().size());
}

TEST(HopRec, WeightedEdgesAndBadOptions) {
  Interactions in;
  for (uint64_t u = 1; u <= 3; ++u)
    for (uint64_t i = 10; i <= 12; ++i) {
      in.user.push_back(u);
      in.item.push_back(i);
      in.weight.push_back(i == 10 ? 5.0f : (i == 12 && u == 3 ? 0.0f : 1.0f));  // weight 0: not an edge
      in.timestamp.push_back(0);
    }
  HopRecOptions o;
  o.dim = 4;
  o.samples = 500;
  HopRecReport rep;
  const Embeddings e = train_hoprec(in, o, RunContext{1, 1}, &rep);
  EXPECT_EQ(rep.edges, 8u);
  EXPECT_EQ(e.users().size(), 3u);
  o.confidence = "square";
  EXPECT_THROW(train_hoprec(in, o, RunContext{1, 1}), Error);
}

// One heavy user on `heavy` items plus `light` users with one of the first items each. A
// user never drawn as a walk's start keeps its initial vector bit for bit (users move only
// as starts), so the untouched share of light users measures the start distribution:
//   P(one given light user) = 1 / (light + heavy^p),  E[untouched share] = (1 - that)^walks.
// With p = 0 / 0.75 / 1 the expected shares are about 0.05 / 0.28 / 0.76.
TEST(HopRec, StartUserIsDrawnByDegreeToTheSourcePower) {
  const int light = 300, heavy = 3000, walks = 3 * light;
  Interactions in;
  auto add = [&](uint64_t u, uint64_t i) {
    in.user.push_back(u);
    in.item.push_back(i);
    in.weight.push_back(1.0f);
    in.timestamp.push_back(0);
  };
  for (int k = 0; k < heavy; ++k) add(1, 1000 + k);
  for (int k = 0; k < light; ++k) add(10 + k, 1000 + k);
  auto untouched_share = [&](float power) {
    HopRecOptions o;
    o.dim = 4;
    o.order = 1;
    o.samples = walks;
    o.source_power = power;
    HopRecOptions still = o;
    still.samples = 1;  // the same initial vectors (they depend on the seed only), one negligible step
    still.lr = 1e-30f;
    const RunContext ctx{1, 9};
    const Embeddings a = train_hoprec(in, o, ctx), b = train_hoprec(in, still, ctx);
    int same = 0;
    for (int k = 0; k < light; ++k) {
      const uint64_t u = 10 + k;
      const auto ra = a.users().row(a.users().find(u)), rb = b.users().row(b.users().find(u));
      same += std::equal(ra.begin(), ra.end(), rb.begin());
    }
    return same / double(light);
  };
  auto expected = [&](double p) { return std::pow(1.0 - 1.0 / (light + std::pow(double(heavy), p)), walks); };
  for (float p : {0.0f, 0.75f, 1.0f}) EXPECT_NEAR(untouched_share(p), expected(p), 0.08) << "source_power " << p;
  HopRecOptions bad;
  bad.source_power = -1.0f;
  EXPECT_THROW(train_hoprec(in, bad, RunContext{1, 1}), Error);
}

// Users 10.. each hold item A (weight 1) and item B (weight 81); a filler user holds 4,000
// more items so that uniform negatives rarely hit an A. An item moves only as a positive or a
// negative, so the untouched share of A items measures the step u -> i_1, P(A) = 1 / (1 + 81^p):
//   E[untouched] ≈ (1 - P(A) / (users + 1))^walks · (1 - 1 / items)^walks  (start uniform: source_power 0).
// With step_power = 0 / 0.5 / 1 the expected shares are about 0.19 / 0.65 / 0.84.
TEST(HopRec, WalkStepIsDrawnByWeightToTheStepPower) {
  const int users = 200, filler = 4000, walks = 3 * users;
  Interactions in;
  auto add = [&](uint64_t u, uint64_t i, float w) {
    in.user.push_back(u);
    in.item.push_back(i);
    in.weight.push_back(w);
    in.timestamp.push_back(0);
  };
  for (int k = 0; k < users; ++k) {
    add(10 + k, 1000 + 2 * k, 1.0f);       // A
    add(10 + k, 1000 + 2 * k + 1, 81.0f);  // B
  }
  for (int k = 0; k < filler; ++k) add(1, 100000 + k, 1.0f);
  auto untouched_share = [&](float power) {
    HopRecOptions o;
    o.dim = 4;
    o.order = 1;
    o.negatives = 1;
    o.samples = walks;
    o.source_power = 0.0f;
    o.step_power = power;
    HopRecOptions still = o;
    still.samples = 1;
    still.lr = 1e-30f;
    const RunContext ctx{1, 11};
    const Embeddings a = train_hoprec(in, o, ctx), b = train_hoprec(in, still, ctx);
    int same = 0;
    for (int k = 0; k < users; ++k) {
      const uint64_t item = 1000 + 2 * k;
      const auto ra = a.items().row(a.items().find(item)), rb = b.items().row(b.items().find(item));
      same += std::equal(ra.begin(), ra.end(), rb.begin());
    }
    return same / double(users);
  };
  auto expected = [&](double p) {
    const double pa = 1.0 / (1.0 + std::pow(81.0, p));
    return std::pow(1.0 - pa / (users + 1), walks) * std::pow(1.0 - 1.0 / (2 * users + filler), walks);
  };
  for (float p : {0.0f, 0.5f, 1.0f}) EXPECT_NEAR(untouched_share(p), expected(p), 0.08) << "step_power " << p;
}

}  // namespace
}  // namespace reco::graph
