// The simulator against the truth it writes: determinism, file layout and row alignment,
// sampled engagement rates vs the true probabilities, the random slice, downsampling.
#include "reco/sim/simulator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "reco/data/event_log.h"
#include "sim_test_util.h"
#include "testing/testing.h"

namespace reco::sim {
namespace {

using testing::read_file;
using testing::TempDir;

RunContext quiet_ctx(uint64_t seed) {
  RunContext ctx;
  ctx.seed = seed;
  ctx.quiet = true;
  return ctx;
}

const char* kFiles[] = {"events.csv", "truth.csv", "items.csv", "users.csv", "examination.csv", "sim.json"};

TEST(Simulator, SameSeedSameBytesOtherSeedDiffers) {
  TempDir a, b, other;
  const SimConfig c = test::small_config(40'000);
  simulate(c, a.file("out"), quiet_ctx(5));
  simulate(c, b.file("out"), quiet_ctx(5));
  simulate(c, other.file("out"), quiet_ctx(6));
  for (const char* f : kFiles) {
    const std::string x = read_file(a.file("out/") + f);
    EXPECT_FALSE(x.empty()) << f;
    EXPECT_EQ(x, read_file(b.file("out/") + f)) << f;
  }
  EXPECT_NE(read_file(a.file("out/events.csv")), read_file(other.file("out/events.csv")));
  EXPECT_NE(read_file(a.file("out/items.csv")), read_file(other.file("out/items.csv")));
}

TEST(Simulator, EventsParseSortedAndTruthRowAligned) {
  TempDir d;
  SimConfig c = test::small_config(30'000);
  const SimReport rep = simulate(c, d.file("out"), quiet_ctx(1));
  EventReader reader(d.file("out/events.csv"));
  ASSERT_EQ(reader.engagement_types(), (std::vector<std::string>{"closeup", "click", "long_click", "save"}));
  const auto truth = test::read_csv(d.file("out/truth.csv"));
  ASSERT_EQ(truth[0], (std::vector<std::string>{"request_id", "item_id", "position", "relevance", "p_examine",
                                                "p_closeup", "p_click", "p_long_click", "p_save"}));
  std::map<std::pair<std::string, int>, std::string> exam;  // (platform, position) -> p_examine text
  const auto exam_rows = test::read_csv(d.file("out/examination.csv"));
  for (size_t i = 1; i < exam_rows.size(); ++i) exam[{exam_rows[i][0], std::stoi(exam_rows[i][1])}] = exam_rows[i][2];
  EXPECT_EQ(exam.size(), 3u * static_cast<size_t>(c.list_size));

  const std::set<std::string> platforms = {"web", "ios", "android"}, locales = {"en", "de", "fr", "ja"},
                              policies = {"popularity", "model", "random"};
  Event e;
  size_t row = 1;
  std::tuple<int64_t, uint64_t, uint32_t> last{0, 0, 0};
  while (reader.next(e)) {
    ASSERT_LT(row, truth.size());
    const auto& t = truth[row++];
    ASSERT_EQ(t.size(), 9u);
    EXPECT_EQ(std::stoull(t[0]), e.request_id);
    EXPECT_EQ(std::stoull(t[1]), e.item_id);
    EXPECT_EQ(std::stoul(t[2]), e.position);
    const std::tuple<int64_t, uint64_t, uint32_t> key{e.timestamp, e.request_id, e.position};
    EXPECT_LT(last, key) << "row " << row;
    last = key;
    EXPECT_TRUE(platforms.count(e.platform)) << e.platform;
    EXPECT_TRUE(locales.count(e.locale)) << e.locale;
    EXPECT_TRUE(policies.count(e.policy)) << e.policy;
    EXPECT_EQ(t[4], (exam[{e.platform, static_cast<int>(e.position)}]));
    const double rel = std::stod(t[3]), pe = std::stod(t[4]), pc = std::stod(t[5]), pk = std::stod(t[6]),
                 pl = std::stod(t[7]), ps = std::stod(t[8]);
    EXPECT_TRUE(rel >= 0 && rel <= 1 && pe <= 1 && pc <= pe && pk <= pc && pl <= pk && ps <= pc && ps >= 0);
    // The cascade: a click needs a closeup, a long click a click (and a long dwell), a save a closeup.
    EXPECT_LE(e.engaged[1], e.engaged[0]);
    EXPECT_LE(e.engaged[2], e.engaged[1]);
    EXPECT_LE(e.engaged[3], e.engaged[0]);
    if (e.engaged[2]) {
      EXPECT_GT(e.dwell, c.long_click_seconds);
    }
    if (e.engaged[1] && !e.engaged[2]) {
      EXPECT_LT(e.dwell, c.long_click_seconds);
    }
    EXPECT_EQ(e.alpha, 1.0);
    EXPECT_EQ(e.sample_weight, 1.0);
  }
  EXPECT_EQ(row, truth.size());
  EXPECT_EQ(row - 1, rep.impressions_logged);
  EXPECT_EQ(rep.impressions_generated, rep.impressions_logged);
  EXPECT_EQ(rep.impressions_generated, static_cast<uint64_t>(c.requests() * c.list_size));
}

// The sampler against the truth it writes: per position and type, the sampled count is a sum
// of independent Bernoulli(p_i) with the p_i of truth.csv, so it must lie within 4.5 standard
// deviations sqrt(sum p_i (1 - p_i)) of sum p_i (80 checks: a false alarm has chance < 1e-3).
TEST(Simulator, SampledRatesMatchTruthPerPosition) {
  TempDir d;
  SimConfig c = test::small_config(600'000);
  simulate(c, d.file("out"), quiet_ctx(11));
  EventReader reader(d.file("out/events.csv"));
  const auto truth = test::read_csv(d.file("out/truth.csv"));
  const size_t k = static_cast<size_t>(c.list_size);
  std::vector<std::array<double, 4>> sum_p(k), var(k), sampled(k);
  Event e;
  for (size_t row = 1; reader.next(e); ++row) {
    const size_t pos = e.position - 1;
    for (int t = 0; t < 4; ++t) {
      const double p = std::stod(truth[row][5 + t]);
      sum_p[pos][t] += p;
      var[pos][t] += p * (1 - p);
      sampled[pos][t] += e.engaged[t];
    }
  }
  for (size_t pos = 0; pos < k; ++pos) {
    for (int t = 0; t < 4; ++t) {
      ASSERT_GT(var[pos][t], 25.0) << "too few expected engagements to test position " << pos + 1;
      EXPECT_NEAR(sampled[pos][t], sum_p[pos][t], 4.5 * std::sqrt(var[pos][t]))
          << "position " << pos + 1 << " type " << t;
    }
  }
  // Examination really decays with position: position 1 gets more closeups than position K.
  EXPECT_GT(sum_p[0][0], 2.0 * sum_p[k - 1][0]);
}

TEST(Simulator, RandomSliceAtConfiguredFraction) {
  TempDir d;
  SimConfig c = test::small_config(200'000);
  c.random_fraction = 0.2;
  const SimReport rep = simulate(c, d.file("out"), quiet_ctx(3));
  EventReader reader(d.file("out/events.csv"));
  std::map<uint64_t, std::string> policy_of;
  Event e;
  while (reader.next(e)) policy_of[e.request_id] = e.policy;
  ASSERT_EQ(policy_of.size(), rep.requests);
  double random = 0;
  for (const auto& [id, p] : policy_of) random += p == "random";
  const double n = static_cast<double>(rep.requests);
  EXPECT_NEAR(random, 0.2 * n, 5.0 * std::sqrt(n * 0.2 * 0.8));
  EXPECT_EQ(static_cast<uint64_t>(random), rep.policy_requests[2]);
}

TEST(Simulator, DownsamplingKeepsNegativesAtAlphaOutsideHoldout) {
  TempDir full_dir, ds_dir;
  SimConfig c = test::small_config(300'000);
  const SimReport full = simulate(c, full_dir.file("out"), quiet_ctx(9));
  c.downsample = 0.2;
  const SimReport ds = simulate(c, ds_dir.file("out"), quiet_ctx(9));
  EXPECT_EQ(full.impressions_generated, ds.impressions_generated);
  const int64_t holdout = c.holdout_start();

  // Counts of (outside/inside holdout) x (engaged or not) in a log; checks weights and alpha.
  auto count = [&](const std::string& path, double alpha) {
    std::array<uint64_t, 4> n{};  // outside-negative, outside-engaged, inside-negative, inside-engaged
    EventReader r(path);
    Event e;
    while (r.next(e)) {
      const bool inside = e.timestamp >= holdout;
      const bool any = e.engaged[0] || e.engaged[1] || e.engaged[2] || e.engaged[3];
      ++n[(inside ? 2 : 0) + (any ? 1 : 0)];
      const double a = inside ? 1.0 : alpha;
      EXPECT_EQ(e.alpha, a);
      EXPECT_DOUBLE_EQ(e.sample_weight, any ? 1.0 : 1.0 / a);
    }
    return n;
  };
  const auto nf = count(full_dir.file("out/events.csv"), 1.0);
  const auto nd = count(ds_dir.file("out/events.csv"), 0.2);
  ASSERT_GT(nf[2], 0u) << "the holdout window has rows";
  EXPECT_EQ(nd[1], nf[1]);  // engaged rows all kept
  EXPECT_EQ(nd[2], nf[2]);  // holdout logged in full
  EXPECT_EQ(nd[3], nf[3]);
  const double n0 = static_cast<double>(nf[0]);
  EXPECT_NEAR(static_cast<double>(nd[0]), 0.2 * n0, 5.0 * std::sqrt(n0 * 0.2 * 0.8));
  EXPECT_EQ(ds.impressions_logged, nd[0] + nd[1] + nd[2] + nd[3]);
  // The truth file follows the downsampled log row for row.
  EXPECT_EQ(test::read_csv(ds_dir.file("out/truth.csv")).size(), ds.impressions_logged + 1);
}

}  // namespace
}  // namespace reco::sim
