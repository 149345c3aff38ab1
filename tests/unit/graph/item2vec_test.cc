// item2vec: SGNS gradient vs finite differences (and the SGD step = -lr × gradient),
// alias table frequencies, sessions from the interactions CSV, planted clusters -> nearest
// neighbours in the same cluster, bit-identical reruns with one thread, min_count.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "reco/graph/alias_table.h"
#include "reco/graph/interactions.h"
#include "reco/graph/item2vec.h"
#include "reco/graph/sgns_math.h"
#include "testing/testing.h"

namespace reco::graph {
namespace {

std::vector<float> random_vec(Rng& rng, uint32_t dim, float scale) {
  std::vector<float> v(dim);
  for (float& x : v) x = scale * float(rng.normal());
  return v;
}

TEST(SgnsMath, GradientMatchesFiniteDifferences) {
  Rng rng(7);
  const uint32_t dim = 6;
  std::vector<float> in = random_vec(rng, dim, 0.7f);
  std::vector<std::vector<float>> outs(4);
  for (auto& o : outs) o = random_vec(rng, dim, 0.7f);
  std::vector<float*> op;
  for (auto& o : outs) op.push_back(o.data());
  std::vector<float> d_in(dim);
  std::vector<std::vector<float>> d_outs(4, std::vector<float>(dim));
  std::vector<float*> dp;
  for (auto& o : d_outs) dp.push_back(o.data());
  sgns_gradient(in.data(), op, dim, d_in.data(), dp);
  const float h = 1e-2f;
  auto numeric = [&](float* x) {
    const float keep = *x;
    *x = keep + h;
    const double lp = sgns_loss(in.data(), op, dim);
    *x = keep - h;
    const double lm = sgns_loss(in.data(), op, dim);
    *x = keep;
    return (lp - lm) / (2 * h);
  };
  for (uint32_t d = 0; d < dim; ++d) EXPECT_NEAR(d_in[d], numeric(&in[d]), 2e-3) << "d_in " << d;
  for (size_t t = 0; t < outs.size(); ++t)
    for (uint32_t d = 0; d < dim; ++d) EXPECT_NEAR(d_outs[t][d], numeric(&outs[t][d]), 2e-3) << t << "," << d;

  // The trainer's step is params -= lr * gradient at the old parameters, and reports the old loss.
  const float lr = 0.05f;
  const double before = sgns_loss(in.data(), op, dim);
  std::vector<float> in0 = in;
  std::vector<std::vector<float>> outs0 = outs;
  std::vector<float> scratch(dim);
  EXPECT_NEAR(sgns_step(in.data(), op, dim, lr, scratch.data()), before, 1e-5);
  for (uint32_t d = 0; d < dim; ++d) EXPECT_NEAR(in[d], in0[d] - lr * d_in[d], 1e-6);
  for (size_t t = 0; t < outs.size(); ++t)
    for (uint32_t d = 0; d < dim; ++d) EXPECT_NEAR(outs[t][d], outs0[t][d] - lr * d_outs[t][d], 1e-6);
  EXPECT_LT(sgns_loss(in.data(), op, dim), before);
}

TEST(AliasTable, FrequenciesFollowWeights) {
  const std::vector<double> w = {1.0, 0.0, 3.0, 6.0};
  AliasTable t(w);
  Rng rng(3);
  std::vector<int> hits(4, 0);
  const int n = 200000;
  for (int k = 0; k < n; ++k) ++hits[t.sample(rng)];
  EXPECT_EQ(hits[1], 0);
  for (int k : {0, 2, 3}) EXPECT_NEAR(hits[k] / double(n), w[k] / 10.0, 0.01) << k;
  EXPECT_THROW(AliasTable(std::vector<double>{0.0, 0.0}), Error);
}

TEST(Interactions, CsvAndSessions) {
  testing::TempDir dir;
  testing::write_file(dir.file("i.csv"),
                      "user,item,weight,timestamp\n1,10,1,100\n1,11,1,50\n2,10,1,5\n1,12,1,10000\n2,13,2,6\n");
  const Interactions in = read_interactions_csv(dir.file("i.csv"));
  ASSERT_EQ(in.size(), 5u);
  EXPECT_EQ(in.weight[4], 2.0f);
  const ItemSequences s = sequences_by_user(in, 1800);
  ASSERT_EQ(s.count(), 3u);  // user 1: {11, 10}, {12}; user 2: {10, 13}
  EXPECT_EQ(std::vector<uint64_t>(s.items.begin(), s.items.begin() + s.offsets[1]), (std::vector<uint64_t>{11, 10}));
  EXPECT_EQ(sequences_by_user(in, 0).count(), 2u);

  testing::write_file(dir.file("bad.csv"), "user,item\n1,10\n1,x\n");
  try {
    read_interactions_csv(dir.file("bad.csv"));
    FAIL() << "expected a parse error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.csv:3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("item"), std::string::npos) << e.what();
  }
}

// Sessions of 8 items drawn from one of K clusters of 20 items each.
ItemSequences planted_sessions(uint64_t seed, int clusters, int per_cluster, int sessions) {
  Rng rng(seed);
  ItemSequences s;
  for (int k = 0; k < sessions; ++k) {
    const int c = static_cast<int>(rng.below(clusters));
    for (int p = 0; p < 8; ++p) s.items.push_back(1000 + c * per_cluster + rng.below(per_cluster));
    s.offsets.push_back(s.items.size());
  }
  return s;
}

float cosine(std::span<const float> a, std::span<const float> b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t d = 0; d < a.size(); ++d) {
    ab += a[d] * b[d];
    aa += a[d] * a[d];
    bb += b[d] * b[d];
  }
  return float(ab / std::sqrt(aa * bb + 1e-30));
}

TEST(Item2Vec, PlantedClustersAreNearestNeighbours) {
  const int clusters = 5, per = 20;
  const ItemSequences s = planted_sessions(11, clusters, per, 2000);
  Item2VecOptions o;
  o.dim = 16;
  o.epochs = 3;
  Item2VecReport rep;
  const Embeddings e = train_item2vec(s, o, RunContext{1, 5}, &rep);
  EXPECT_EQ(e.metric(), EmbeddingMetric::kCosine);
  EXPECT_FALSE(e.has_users());
  ASSERT_EQ(e.items().size(), size_t(clusters * per));
  EXPECT_GT(rep.pairs, 0u);
  ASSERT_EQ(rep.loss_per_epoch.size(), 3u);
  EXPECT_LT(rep.loss_per_epoch.back(), rep.loss_per_epoch.front());
  // Top-5 neighbours by cosine: fraction in the query's cluster (chance is 19/99).
  const auto& t = e.items();
  int same = 0, total = 0;
  for (uint32_t r = 0; r < t.size(); ++r) {
    std::vector<std::pair<float, uint32_t>> sims;
    for (uint32_t q = 0; q < t.size(); ++q)
      if (q != r) sims.push_back({cosine(t.row(r), t.row(q)), q});
    std::partial_sort(sims.begin(), sims.begin() + 5, sims.end(), std::greater<>());
    for (int k = 0; k < 5; ++k) {
      same += (t.id(r) - 1000) / per == (t.id(sims[k].second) - 1000) / per;
      ++total;
    }
  }
  EXPECT_GT(same / double(total), 0.9);
}

TEST(Item2Vec, OneThreadIsBitIdenticalAndSeedMatters) {
  const ItemSequences s = planted_sessions(3, 4, 10, 300);
  Item2VecOptions o;
  o.dim = 8;
  o.epochs = 2;
  const Embeddings a = train_item2vec(s, o, RunContext{1, 9});
  const Embeddings b = train_item2vec(s, o, RunContext{1, 9});
  const Embeddings c = train_item2vec(s, o, RunContext{1, 10});
  ASSERT_EQ(a.items().vectors().size(), b.items().vectors().size());
  EXPECT_TRUE(std::equal(a.items().vectors().begin(), a.items().vectors().end(), b.items().vectors().begin()));
  EXPECT_FALSE(std::equal(a.items().vectors().begin(), a.items().vectors().end(), c.items().vectors().begin()));
  // Two threads still train (Hogwild) and give finite vectors of the same shape.
  const Embeddings d = train_item2vec(s, o, RunContext{2, 9});
  EXPECT_EQ(d.items().size(), a.items().size());
}

TEST(Item2Vec, MinCountDropsRareItemsAndCountsThem) {
  ItemSequences s;
  s.items = {1, 2, 1, 2, 3, 1, 2};
  s.offsets = {0, 2, 5, 7};
  Item2VecOptions o;
  o.dim = 4;
  o.min_count = 2;
  Item2VecReport rep;
  const Embeddings e = train_item2vec(s, o, RunContext{1, 1}, &rep);
  EXPECT_EQ(e.items().size(), 2u);
  EXPECT_EQ(e.items().find(3), kNoRow);
  EXPECT_EQ(rep.items_dropped, 1u);
  EXPECT_EQ(rep.tokens_dropped, 1u);
  o.min_count = 10;
  EXPECT_THROW(train_item2vec(s, o, RunContext{1, 1}), Error);
}

}  // namespace
}  // namespace reco::graph
