// CandidateEvaluator and PopularSource: metric values on a hand-computed case, cold users
// and test items already in the history counted, history order, thread-count independence,
// popularity ties and exclusions.
#include <gtest/gtest.h>

#include <cmath>

#include "reco/core/rng.h"
#include "reco/retrieval/candidate_eval.h"
#include "reco/retrieval/popular_source.h"

namespace reco {
namespace {

// Returns a fixed list minus the items the request filter rejects.
class FixedSource final : public CandidateSource {
 public:
  explicit FixedSource(std::vector<uint64_t> items) : items_(std::move(items)) {}
  std::string_view name() const override { return "fixed"; }
  std::vector<Candidate> query(const CandidateRequest& r, const RunContext&) const override {
    std::vector<Candidate> out;
    for (uint64_t i : items_)
      if ((!r.filter || r.filter(i)) && out.size() < r.k) out.push_back({i, 1.0f, 0});
    return out;
  }

 private:
  std::vector<uint64_t> items_;
};

// A random permutation of 0..n-1 drawn from ctx.seed (tests seed handling per user).
class RandomSource final : public CandidateSource {
 public:
  explicit RandomSource(uint64_t n) : n_(n) {}
  std::string_view name() const override { return "random"; }
  std::vector<Candidate> query(const CandidateRequest& r, const RunContext& ctx) const override {
    Rng rng(ctx.seed);
    std::vector<Candidate> out;
    for (size_t t = 0; t < 4 * r.k && out.size() < r.k; ++t) {
      const uint64_t i = rng.below(n_);
      if (!r.filter || r.filter(i)) out.push_back({i, 0.0f, 0});
    }
    return out;
  }

 private:
  uint64_t n_;
};

const double kInvLog3 = 1.0 / std::log2(3.0), kInvLog5 = 1.0 / std::log2(5.0);

TEST(CandidateMetrics, HandComputed) {
  const std::vector<uint64_t> ranked = {5, 3, 9, 1};
  const std::vector<uint64_t> relevant = {1, 3, 7};  // sorted
  EXPECT_DOUBLE_EQ(recall_at(ranked, relevant, 2), 1.0 / 3);
  EXPECT_DOUBLE_EQ(recall_at(ranked, relevant, 4), 2.0 / 3);
  EXPECT_DOUBLE_EQ(ndcg_at(ranked, relevant, 2), kInvLog3 / (1 + kInvLog3));
  EXPECT_DOUBLE_EQ(ndcg_at(ranked, relevant, 4), (kInvLog3 + kInvLog5) / (1 + kInvLog3 + 0.5));
  EXPECT_DOUBLE_EQ(hit_rate_at(ranked, relevant, 1), 0.0);
  EXPECT_DOUBLE_EQ(hit_rate_at(ranked, relevant, 2), 1.0);
  // A short list: K beyond its length counts no extra hits; the ideal still uses min(|T|, K).
  const std::vector<uint64_t> one = {3};
  EXPECT_DOUBLE_EQ(ndcg_at(one, relevant, 10), 1.0 / (1 + kInvLog3 + 0.5));
}

TEST(CandidateEvaluator, HandComputedWithColdAndInHistoryUsers) {
  const std::vector<Interaction> train = {{1, 1, 1, 1}, {1, 2, 1, 2}, {2, 3, 1, 1}, {4, 1, 1, 1},
                                          {5, 4, 1, 1}, {5, 5, 1, 2}, {5, 6, 1, 3}, {5, 7, 1, 4}};
  const std::vector<Interaction> test = {{1, 4, 1, 9}, {1, 5, 1, 9}, {1, 2, 1, 9},
                                         {2, 3, 1, 9}, {3, 4, 1, 9}, {4, 6, 1, 9}};
  CandidateEvalOptions opt;
  opt.ks = {4, 1};
  CandidateEvaluator ev(train, test, opt);
  const FixedSource src({1, 4, 6, 7, 5});
  const CandidateEvalResult r = ev.evaluate(src, RunContext{});
  ASSERT_EQ(r.ks, (std::vector<size_t>{1, 4}));
  EXPECT_EQ(r.test_users, 4u);
  EXPECT_EQ(r.users_evaluated, 2u);
  EXPECT_EQ(r.users_cold, 1u);
  EXPECT_EQ(r.users_no_relevant, 1u);
  EXPECT_EQ(r.test_items_in_history, 2u);
  EXPECT_EQ(r.catalog, 7u);
  // u1 gets [4,6,7,5] with relevant {4,5}; u4 gets [4,6,7,5] with relevant {6}.
  EXPECT_DOUBLE_EQ(r.recall[0], (0.5 + 0.0) / 2);
  EXPECT_DOUBLE_EQ(r.ndcg[0], (1.0 + 0.0) / 2);
  EXPECT_DOUBLE_EQ(r.hit_rate[0], 0.5);
  EXPECT_DOUBLE_EQ(r.recall[1], 1.0);
  EXPECT_DOUBLE_EQ(r.ndcg[1], ((1 + kInvLog5) / (1 + kInvLog3) + kInvLog3) / 2);
  EXPECT_DOUBLE_EQ(r.hit_rate[1], 1.0);
  EXPECT_DOUBLE_EQ(r.coverage[0], 1.0 / 7);
  EXPECT_DOUBLE_EQ(r.coverage[1], 4.0 / 7);
  EXPECT_DOUBLE_EQ(r.mean_candidates, 4.0);
}

TEST(CandidateEvaluator, HistoryByLastOccurrenceWithSummedWeights) {
  const std::vector<Interaction> train = {{1, 1, 1, 1}, {1, 2, 1, 2}, {1, 1, 1, 3}};
  const std::vector<Interaction> test = {{1, 9, 1, 4}};
  CandidateEvaluator ev(train, test);
  ASSERT_EQ(ev.users(), 1u);
  const CandidateRequest req = ev.request_for(0);
  EXPECT_EQ(req.user, 1u);
  EXPECT_EQ(req.items, (std::vector<uint64_t>{2, 1}));
  EXPECT_EQ(req.weights, (std::vector<float>{1, 2}));
  EXPECT_EQ(req.k, 100u);
  EXPECT_FALSE(req.filter(1));
  EXPECT_TRUE(req.filter(9));
}

TEST(CandidateEvaluator, ResultsIndependentOfThreadCount) {
  Rng rng(7);
  std::vector<Interaction> train, test;
  for (uint64_t u = 0; u < 300; ++u) {
    for (int j = 0; j < 5; ++j) train.push_back({u, rng.below(200), 1.0f, j});
    test.push_back({u, rng.below(200), 1.0f, 10});
  }
  CandidateEvaluator ev(train, test);
  const RandomSource src(200);
  RunContext one;
  one.threads = 1;
  RunContext three = one;
  three.threads = 3;
  const auto a = ev.evaluate(src, one), b = ev.evaluate(src, three);
  EXPECT_GT(a.users_evaluated, 250u);
  EXPECT_EQ(a.recall, b.recall);
  EXPECT_EQ(a.ndcg, b.ndcg);
  EXPECT_EQ(a.hit_rate, b.hit_rate);
  EXPECT_EQ(a.coverage, b.coverage);
  EXPECT_GT(a.recall.back(), 0.0);
}

TEST(PopularSource, RanksByTotalWeightTiesBySmallerIdAndExcludes) {
  const std::vector<Interaction> train = {{1, 9, 1, 0},   {1, 7, 0.5f, 1}, {2, 5, 2, 0},
                                          {2, 3, 1, 1},   {3, 7, 0.5f, 0}, {3, 7, 1, 1}};
  const PopularSource pop(train);
  ASSERT_EQ(pop.ranking().size(), 4u);
  EXPECT_EQ(pop.ranking()[0].first, 5u);  // 5 and 7 both total 2
  EXPECT_EQ(pop.ranking()[1].first, 7u);
  EXPECT_EQ(pop.ranking()[2].first, 3u);  // 3 and 9 both total 1
  EXPECT_EQ(pop.ranking()[3].first, 9u);
  CandidateRequest req;
  req.items = {5};
  req.filter = [](uint64_t i) { return i != 3; };
  req.k = 10;
  const auto got = pop.query(req, RunContext{});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].item, 7u);
  EXPECT_FLOAT_EQ(got[0].score, 2.0f);
  EXPECT_EQ(got[0].source, candidate_source::kPopular);
  EXPECT_EQ(got[1].item, 9u);
  req.k = 1;
  EXPECT_EQ(pop.query(req, RunContext{}).size(), 1u);
}

}  // namespace
}  // namespace reco
