#include "reco/memboost/memboost_features.h"

#include <gtest/gtest.h>

#include <unordered_map>

#include "reco/core/error.h"
#include "reco/data/event_samples.h"
#include "synthetic_log.h"
#include "testing/testing.h"

namespace reco::memboost {
namespace {

using testing::read_csv;

PositionPriors priors_of(const std::vector<Event>& events) {
  PriorOptions opt;
  opt.min_impressions = 50;
  return testlog::estimate_priors(events, opt);
}

TEST(MemboostFeatures, PointInTimeCountsFromEarlierRequestsOnly) {
  testlog::Config cfg;
  cfg.requests = 400;
  cfg.items = 30;  // pairs repeat often
  cfg.queries = 3;
  const auto events = testlog::downsample(testlog::generate(cfg), 0.5, 9);
  testing::TempDir dir;
  testlog::write(dir.file("e.csv"), events);
  const PositionPriors priors = priors_of(events);
  const std::vector<double> w = {1, 2};
  const FeaturesReport rep =
      write_feature_csv(dir.file("e.csv"), priors, w, 5.0, dir.file("f.csv"), false, RunContext{});
  const auto csv = read_csv(dir.file("f.csv"));
  ASSERT_EQ(csv.size(), events.size() + 1);
  EXPECT_EQ(rep.rows, events.size());
  EXPECT_EQ(csv[0], (std::vector<std::string>{"mb_impressions", "mb_expected_click", "mb_click", "mb_coec_click",
                                              "mb_score", "mb_save", "mb_expected_save"}));
  // Reference: counts of each pair over rows of strictly earlier requests.
  std::unordered_map<PairKey, PairCounters, PairKeyHash> done, in_request;
  size_t first = 0, with_history = 0, zero_first = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0 && events[i].request_id != events[i - 1].request_id) {
      for (size_t j = first; j < i; ++j) {
        auto [it, fresh] = done.try_emplace(pair_key(events[j]), 2u);
        add_impression(it->second, events[j], priors);
      }
      first = i;
    }
    const auto& row = csv[i + 1];
    ASSERT_EQ(row.size(), 7u);
    auto it = done.find(pair_key(events[i]));
    const PairCounters want = it == done.end() ? PairCounters(2) : it->second;
    EXPECT_NEAR(std::stod(row[0]), want.impressions, 1e-5 * (1 + want.impressions)) << "row " << i;
    EXPECT_NEAR(std::stod(row[1]), want.expected[0], 1e-5 * (1 + want.expected[0])) << "row " << i;
    EXPECT_NEAR(std::stod(row[2]), want.engaged[0], 1e-5 * (1 + want.engaged[0])) << "row " << i;
    EXPECT_NEAR(std::stod(row[3]), smoothed_coec(want.engaged[0], want.expected[0], 5.0), 1e-5 * (1 + std::stod(row[3])));
    EXPECT_NEAR(std::stod(row[4]), memboost_score(want, w, 5.0), 1e-5);
    EXPECT_NEAR(std::stod(row[5]), want.engaged[1], 1e-5 * (1 + want.engaged[1]));
    if (it == done.end()) {
      ++zero_first;
      EXPECT_EQ(row[0], "0");
      EXPECT_EQ(row[3], "1");  // smoothed COEC of an unseen pair is neutral
      EXPECT_EQ(row[4], "0");
    } else {
      ++with_history;
    }
  }
  EXPECT_GT(with_history, events.size() / 2);
  EXPECT_GT(zero_first, 0u);
  EXPECT_EQ(rep.rows_with_history, with_history);
}

TEST(MemboostFeatures, ARowsOwnEngagementNeverReachesItsFeatures) {
  // Two requests for the same pair: the first's features are all zero whatever its label,
  // the second sees exactly the first's engagement.
  std::vector<Event> events(2);
  for (size_t i = 0; i < 2; ++i) {
    events[i].request_id = 1 + i;
    events[i].timestamp = 10 + static_cast<int64_t>(i);
    events[i].query_item_id = 5;
    events[i].item_id = 6;
    events[i].position = 1;
    events[i].platform = "web";
    events[i].engaged = {1, 1};
  }
  const PositionPriors priors = priors_of(events);
  MemboostFeatures f(priors, {1, 1}, 1.0);
  EXPECT_EQ(f.row(5, 6).counters.impressions, 0.0);
  EXPECT_EQ(f.row(5, 6).score, 0.0);
  f.observe(events[0]);
  const FeatureRow r = f.row(5, 6);
  EXPECT_EQ(r.counters.impressions, 1.0);
  EXPECT_EQ(r.counters.engaged[0], 1.0);
  EXPECT_EQ(f.row(kNoQuery, 6).counters.impressions, 0.0);  // item-level memory is a different key

  testing::TempDir dir;
  testlog::write(dir.file("e.csv"), events);
  write_feature_csv(dir.file("e.csv"), priors, {1, 1}, 1.0, dir.file("f.csv"), false, RunContext{});
  const auto csv = read_csv(dir.file("f.csv"));
  ASSERT_EQ(csv.size(), 3u);
  EXPECT_EQ(csv[1][0], "0");
  EXPECT_EQ(csv[1][2], "0");  // own click not counted
  EXPECT_EQ(csv[2][0], "1");
  EXPECT_EQ(csv[2][2], "1");
}

TEST(MemboostFeatures, UnsortedLogIsAnErrorNamingTheLine) {
  testlog::Config cfg;
  cfg.requests = 5;
  auto events = testlog::generate(cfg);
  events[25].timestamp = 1;
  testing::TempDir dir;
  testlog::write(dir.file("e.csv"), events);
  const PositionPriors priors = priors_of(events);
  try {
    write_feature_csv(dir.file("e.csv"), priors, {1, 1}, 1.0, dir.file("f.csv"), false, RunContext{});
    FAIL() << "unsorted log accepted";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("e.csv:27"), std::string::npos) << e.message();
  }
  EXPECT_NO_THROW(write_feature_csv(dir.file("e.csv"), priors, {1, 1}, 1.0, dir.file("f.csv"), true, RunContext{}));
}

TEST(MemboostFeatures, ColdMaskWritesUnseenPairValuesOnSelectedTrainingPairsOnly) {
  testlog::Config cfg;
  cfg.requests = 600;
  cfg.items = 40;
  cfg.queries = 4;  // 160 pairs, each seen many times
  const auto events = testlog::generate(cfg);
  testing::TempDir dir;
  testlog::write(dir.file("e.csv"), events);
  const PositionPriors priors = priors_of(events);
  const std::vector<double> w = {1, 2};
  write_feature_csv(dir.file("e.csv"), priors, w, 5.0, dir.file("plain.csv"), false, RunContext{});
  const ColdMask mask{0.3, 1000 + 400, 7};  // requests 0..399 are "training"
  const FeaturesReport rep =
      write_feature_csv(dir.file("e.csv"), priors, w, 5.0, dir.file("cold.csv"), false, RunContext{}, mask);
  const auto plain = read_csv(dir.file("plain.csv"));
  const auto cold = read_csv(dir.file("cold.csv"));
  ASSERT_EQ(plain.size(), events.size() + 1);
  ASSERT_EQ(cold.size(), plain.size());
  EXPECT_EQ(cold[0], plain[0]);
  // The values an unseen pair gets: counts 0, smoothed COEC 1, score 0.
  const std::vector<std::string> unseen = {"0", "0", "0", "1", "0", "0", "0"};
  size_t masked = 0, masked_with_history = 0, later_with_history = 0;
  std::unordered_map<PairKey, bool, PairKeyHash> pair_selected;
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    const bool selected = cold_pair(mask, e.query_item_id, e.item_id);
    pair_selected[pair_key(e)] = selected;
    if (e.timestamp < mask.before && selected) {
      EXPECT_EQ(cold[i + 1], unseen) << "row " << i;
      ++masked;
      masked_with_history += plain[i + 1][0] != "0";
    } else {
      EXPECT_EQ(cold[i + 1], plain[i + 1]) << "row " << i << " must be untouched";
      later_with_history += selected && plain[i + 1][0] != "0";
    }
  }
  EXPECT_EQ(rep.rows_masked, masked);
  EXPECT_GT(masked_with_history, 100u);  // the mask really hid history
  // Counters kept counting the masked rows: later rows of selected pairs carry their full history.
  EXPECT_GT(later_with_history, 50u);
  size_t selected = 0;
  for (const auto& [key, s] : pair_selected) selected += s;
  EXPECT_GT(selected, pair_selected.size() / 10);  // ~30 % of ~160 pairs
  EXPECT_LT(selected, pair_selected.size() / 2);
}

TEST(MemboostFeatures, ColdMaskIsDeterministicBySeed) {
  ColdMask a{0.25, 0, 11}, b{0.25, 0, 11}, c{0.25, 0, 12};
  size_t same = 0, hits = 0, n = 4000;
  for (uint64_t q = 0; q < 40; ++q) {
    for (uint64_t item = 0; item < 100; ++item) {
      EXPECT_EQ(cold_pair(a, q, item), cold_pair(b, q, item));
      same += cold_pair(a, q, item) == cold_pair(c, q, item);
      hits += cold_pair(a, q, item);
    }
  }
  EXPECT_LT(same, n * 9 / 10);  // another seed picks other pairs (agreement ~ 0.25² + 0.75² = 62.5 %)
  EXPECT_NEAR(static_cast<double>(hits) / n, 0.25, 0.03);
  EXPECT_FALSE(cold_pair(ColdMask{0.0, 0, 11}, 1, 2));
  EXPECT_TRUE(cold_pair(ColdMask{1.0, 0, 11}, 1, 2));

  // Whole files: the same seed writes the same bytes.
  testlog::Config cfg;
  cfg.requests = 200;
  cfg.items = 30;
  cfg.queries = 3;
  const auto events = testlog::generate(cfg);
  testing::TempDir dir;
  testlog::write(dir.file("e.csv"), events);
  const PositionPriors priors = priors_of(events);
  for (const char* name : {"1.csv", "2.csv"})
    write_feature_csv(dir.file("e.csv"), priors, {1, 1}, 1.0, dir.file(name), false, RunContext{}, a);
  EXPECT_EQ(testing::read_file(dir.file("1.csv")), testing::read_file(dir.file("2.csv")));
  EXPECT_THROW(write_feature_csv(dir.file("e.csv"), priors, {1, 1}, 1.0, dir.file("x.csv"), false, RunContext{},
                                 ColdMask{1.5, 0, 1}),
               Error);
}

TEST(MemboostFeatures, HoldoutFromIsTheSamplesSplitBoundary) {
  // Last event on day 10 at 13:00: two holdout days start at midnight of day 9.
  EXPECT_EQ(holdout_from(10 * 86400 + 13 * 3600, 2.0), 9 * 86400);
  EXPECT_EQ(holdout_from(10 * 86400, 1.0), 10 * 86400);
  EXPECT_EQ(holdout_from(10 * 86400 + 1, 0.0), 11 * 86400);
}

}  // namespace
}  // namespace reco::memboost
