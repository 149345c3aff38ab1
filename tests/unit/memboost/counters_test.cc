#include "reco/memboost/counters.h"

#include <gtest/gtest.h>

#include <cmath>

#include "reco/core/error.h"

namespace reco::memboost {
namespace {

TEST(Coec, RatioOfEngagedToExpected) {
  EXPECT_DOUBLE_EQ(coec(3, 1.5), 2.0);
  EXPECT_DOUBLE_EQ(coec(1, 4), 0.25);
  EXPECT_DOUBLE_EQ(coec(0, 0), 0.0);  // nothing expected yet
  EXPECT_DOUBLE_EQ(smoothed_coec(0, 0, 5), 1.0);    // unseen pair: neutral
  EXPECT_DOUBLE_EQ(smoothed_coec(3, 1, 5), 8.0 / 6.0);
  EXPECT_DOUBLE_EQ(smoothed_coec(0, 20, 5), 0.2);
}

TEST(MemboostScore, HandComputedSmoothedLogRatio) {
  // c = 3, E = 1, alpha = 1 -> log(4 / 2)
  EXPECT_NEAR(memboost_score(3, 1, 1), std::log(2.0), 1e-12);
  // As many as expected -> 0 (zero-centred), whatever the smoothing.
  EXPECT_NEAR(memboost_score(5, 5, 0.1), 0.0, 1e-12);
  // Fewer than expected -> negative.
  EXPECT_LT(memboost_score(0, 2, 1), 0.0);
  // Larger smoothing pulls a small-sample score toward 0.
  EXPECT_LT(std::abs(memboost_score(2, 0.5, 10)), std::abs(memboost_score(2, 0.5, 1)));
  EXPECT_THROW(memboost_score(1, 1, 0), Error);
}

TEST(MemboostScore, CombinesTypesWithWeights) {
  PairCounters c(2);
  c.impressions = 10;
  c.engaged = {2, 1};
  c.expected = {1, 0.5};
  // beta = (1, 2): c = 2 + 2 = 4, E = 1 + 1 = 2; alpha 2 -> log(6/4)
  const std::vector<double> w = {1, 2};
  EXPECT_NEAR(memboost_score(c, w, 2), std::log(6.0 / 4.0), 1e-12);
  // A zero weight drops the type: only saves: c = 1, E = 0.5 -> log(2 / 1.5)
  const std::vector<double> only_save = {0, 1};
  EXPECT_NEAR(memboost_score(c, only_save, 1), std::log(2.0 / 1.5), 1e-12);
}

TEST(TypeWeights, ParsesNamedWeightsAndRejectsUnknownTypes) {
  const std::vector<std::string> types = {"closeup", "click", "long_click", "save"};
  EXPECT_EQ(parse_type_weights("", types), (std::vector<double>{1, 1, 1, 1}));
  EXPECT_EQ(parse_type_weights("click=1,save=2.5", types), (std::vector<double>{0, 1, 0, 2.5}));
  try {
    parse_type_weights("clik=1", types);
    FAIL() << "unknown type accepted";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("clik"), std::string::npos);
    EXPECT_NE(e.message().find("long_click"), std::string::npos);  // lists what the log has
  }
  EXPECT_THROW(parse_type_weights("click=x", types), Error);
  EXPECT_THROW(parse_type_weights("click", types), Error);
  EXPECT_THROW(parse_type_weights("click=-1", types), Error);
}

TEST(PackedCounters, RoundTripAndRejectBadBytes) {
  PairCounters c(3);
  c.impressions = 12.5;
  c.engaged = {1, 2, 3};
  c.expected = {0.25, 0.5, 1e-9};
  const std::string b = pack_counters(c);
  EXPECT_EQ(b.size(), 2u + 8u * 7u);
  EXPECT_EQ(static_cast<uint8_t>(b[0]), kCountersVersion);
  EXPECT_EQ(unpack_counters(b), c);
  EXPECT_THROW(unpack_counters(b.substr(0, b.size() - 1)), Error);
  std::string newer = b;
  newer[0] = static_cast<char>(kCountersVersion + 1);
  try {
    unpack_counters(newer);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kVersion);
  }
}

TEST(PairCounters, AddSumsEveryField) {
  PairCounters a(2), b(2);
  a.impressions = 1;
  a.engaged = {1, 0};
  a.expected = {0.5, 0.1};
  b.impressions = 2;
  b.engaged = {0, 1};
  b.expected = {0.25, 0.2};
  a.add(b);
  EXPECT_DOUBLE_EQ(a.impressions, 3);
  EXPECT_DOUBLE_EQ(a.engaged[1], 1);
  EXPECT_DOUBLE_EQ(a.expected[0], 0.75);
  EXPECT_NEAR(a.expected[1], 0.3, 1e-15);
}

}  // namespace
}  // namespace reco::memboost
