#include "reco/memboost/insertion.h"

#include <gtest/gtest.h>

#include <cmath>

#include "reco/memboost/memboost_store.h"
#include "testing/testing.h"

namespace reco::memboost {
namespace {

PairCounters pair(double impressions, double clicks, double expected) {
  PairCounters c(1);
  c.impressions = impressions;
  c.engaged[0] = clicks;
  c.expected[0] = expected;
  return c;
}

InsertionOptions options() {
  InsertionOptions o;
  o.weights = {1.0};
  o.smoothing = 1;
  o.min_impressions = 100;
  return o;
}

TEST(MemboostInsertion, TopResultsByScoreAboveThresholds) {
  const std::vector<std::pair<uint64_t, PairCounters>> results = {
      {1, pair(1000, 30, 10)},   // log(31/11): best
      {2, pair(1000, 20, 10)},   // log(21/11)
      {3, pair(50, 40, 1)},      // great but too few impressions
      {4, pair(1000, 5, 10)},    // below expectation: never inserted
      {5, pair(1000, 20, 10)}};  // ties item 2: smaller id first
  const auto top = top_results(results, 3, options());
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].item, 1u);
  EXPECT_NEAR(top[0].score, std::log(31.0 / 11.0), 1e-12);
  EXPECT_EQ(top[1].item, 2u);
  EXPECT_EQ(top[2].item, 5u);
  EXPECT_EQ(top_results(results, 1, options()).size(), 1u);
  auto loose = options();
  loose.min_impressions = 0;
  EXPECT_EQ(top_results(results, 10, loose).front().item, 3u);  // log(41/2)
}

TEST(MemboostInsertion, AppendsOnlyMissingResultsAndCountsThem) {
  const std::vector<ScoredResult> top = {{7, 2.0, PairCounters(1)}, {3, 1.0, PairCounters(1)},
                                         {9, 0.5, PairCounters(1)}};
  std::vector<uint64_t> candidates = {3, 4, 5};
  EXPECT_EQ(insert_missing(candidates, top), 2u);
  EXPECT_EQ(candidates, (std::vector<uint64_t>{3, 4, 5, 7, 9}));
  EXPECT_EQ(insert_missing(candidates, top), 0u);  // idempotent
}

TEST(MemboostInsertion, FromTheStoreByPrefixScan) {
  testing::TempDir dir;
  MemboostStore store(dir.file("db"));
  store.bind({"click"}, 1);
  store.apply({{{10, 1}, pair(500, 40, 10)},
               {{10, 2}, pair(500, 5, 10)},
               {{10, 3}, pair(500, 25, 10)},
               {{11, 4}, pair(500, 90, 10)}},  // another query: must not leak in
              StoreCursor{1, 1, 1});
  std::vector<uint64_t> candidates = {2};
  EXPECT_EQ(insert_missing(candidates, store, 10, 2, options()), 2u);
  EXPECT_EQ(candidates, (std::vector<uint64_t>{2, 1, 3}));
  std::vector<uint64_t> none;
  EXPECT_EQ(insert_missing(none, store, 12, 5, options()), 0u);
}

}  // namespace
}  // namespace reco::memboost
