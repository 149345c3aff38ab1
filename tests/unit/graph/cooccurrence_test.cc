// CoOccurrence against brute-force pair counts; group caps; file round trip; sessions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "reco/core/container.h"
#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "reco/graph/cooccurrence.h"
#include "reco/graph/graph_builder.h"
#include "reco/graph/sessions.h"
#include "testing/testing.h"

namespace reco::graph {
namespace {

// Groups of random sizes (a few large ones) over a small item set.
std::vector<std::set<uint64_t>> random_groups(uint64_t seed, int n_groups, int n_items) {
  Rng rng(seed);
  std::vector<std::set<uint64_t>> groups(n_groups);
  for (int g = 0; g < n_groups; ++g) {
    const int size = g % 10 == 0 ? 30 + rng.below(20) : 1 + rng.below(8);
    for (int k = 0; k < size; ++k) groups[g].insert(900 + 3 * rng.below(n_items));
  }
  return groups;
}

BipartiteGraph graph_of(const std::vector<std::set<uint64_t>>& groups) {
  EdgeListBuilder b;
  for (size_t g = 0; g < groups.size(); ++g)
    for (uint64_t item : groups[g]) b.add(g, item);
  return build_graph(b.finish(), {});
}

struct Brute {
  std::map<std::pair<uint64_t, uint64_t>, uint32_t> c;
  std::map<std::pair<uint64_t, uint64_t>, double> w;  // sum of 1/log2(1 + |g|) over shared groups
  std::map<uint64_t, uint32_t> n;
  uint64_t skipped = 0;
};

Brute brute(const std::vector<std::set<uint64_t>>& groups, uint32_t limit) {
  Brute b;
  for (const auto& g : groups) {
    if (g.size() < 2) continue;
    if (limit && g.size() > limit) {
      ++b.skipped;
      continue;
    }
    for (uint64_t i : g) {
      ++b.n[i];
      for (uint64_t j : g)
        if (i != j) {
          ++b.c[{i, j}];
          b.w[{i, j}] += 1.0 / std::log2(1.0 + static_cast<double>(g.size()));
        }
    }
  }
  return b;
}

TEST(CoOccurrence, MatchesBruteForceCountsAndCosine) {
  const auto groups = random_groups(1, 200, 60);
  const BipartiteGraph g = graph_of(groups);
  for (const CoocWeighting weighting : {CoocWeighting::kNone, CoocWeighting::kInverseLogSize}) {
    CoocOptions opt;
    opt.top_k = 1000;  // keep everything
    opt.max_group_size = 25;
    opt.group_weighting = weighting;
    for (int threads : {1, 2}) {
      CoocReport rep;
      const CoOccurrence c = CoOccurrence::build(g, opt, RunContext{threads, 1}, &rep);
      const Brute b = brute(groups, opt.max_group_size);
      EXPECT_EQ(rep.groups_skipped, b.skipped);
      EXPECT_GT(rep.groups_skipped, 0u);
      EXPECT_EQ(c.meta()["options"]["group_weighting"], std::string(cooc_weighting_name(weighting)));
      size_t total = 0;
      bool weights_differ = false;
      for (uint32_t i = 0; i < c.item_count(); ++i) {
        const uint64_t id = c.item_id(i);
        EXPECT_EQ(c.groups_of(i), b.n.count(id) ? b.n.at(id) : 0u);
        const auto nb = c.neighbors(i);
        for (size_t p = 0; p < nb.size(); ++p) {
          const uint64_t jd = c.item_id(nb[p]);
          ASSERT_TRUE(b.c.count({id, jd})) << id << " " << jd;
          EXPECT_EQ(c.counts(i)[p], b.c.at({id, jd}));
          const double shared = weighting == CoocWeighting::kNone ? b.c.at({id, jd}) : b.w.at({id, jd});
          weights_differ |= std::abs(shared - b.c.at({id, jd})) > 1e-3;
          EXPECT_NEAR(c.cosine(i)[p], shared / std::sqrt(double(b.n.at(id)) * b.n.at(jd)), 1e-6);
          if (p) {
            EXPECT_GE(c.cosine(i)[p - 1], c.cosine(i)[p]);
          }
        }
        total += nb.size();
      }
      EXPECT_EQ(total, b.c.size());
      EXPECT_EQ(weights_differ, weighting == CoocWeighting::kInverseLogSize);
    }
  }
}

TEST(CoOccurrence, GroupWeightingNames) {
  EXPECT_EQ(parse_cooc_weighting("none"), CoocWeighting::kNone);
  EXPECT_EQ(parse_cooc_weighting("log"), CoocWeighting::kInverseLogSize);
  EXPECT_THROW(parse_cooc_weighting("idf"), Error);
}

TEST(CoOccurrence, TopKKeepsTheBestByCount) {
  const auto groups = random_groups(2, 300, 40);
  const BipartiteGraph g = graph_of(groups);
  CoocOptions opt;
  opt.top_k = 5;
  opt.max_group_size = 0;
  opt.rank_by = CoocScore::kCount;
  const CoOccurrence c = CoOccurrence::build(g, opt, RunContext{2, 1});
  const Brute b = brute(groups, 0);
  for (uint32_t i = 0; i < c.item_count(); ++i) {
    std::vector<uint32_t> all;
    for (auto& [k, v] : b.c)
      if (k.first == c.item_id(i)) all.push_back(v);
    std::sort(all.rbegin(), all.rend());
    const auto counts = c.counts(i);
    ASSERT_EQ(counts.size(), std::min<size_t>(5, all.size()));
    for (size_t p = 0; p < counts.size(); ++p) EXPECT_EQ(counts[p], all[p]);
  }
}

TEST(CoOccurrence, SampledLargeGroupsContributeLimitItems) {
  const auto groups = random_groups(3, 100, 80);
  const BipartiteGraph g = graph_of(groups);
  CoocOptions opt;
  opt.max_group_size = 10;
  opt.sample_large_groups = true;
  CoocReport rep;
  const CoOccurrence c = CoOccurrence::build(g, opt, RunContext{1, 9}, &rep);
  uint64_t expected_n = 0, large = 0;
  for (const auto& s : groups)
    if (s.size() >= 2) {
      expected_n += std::min<size_t>(s.size(), 10);
      large += s.size() > 10;
    }
  uint64_t n = 0;
  for (uint32_t i = 0; i < c.item_count(); ++i) n += c.groups_of(i);
  EXPECT_EQ(n, expected_n);
  EXPECT_EQ(rep.groups_sampled, large);
  EXPECT_EQ(rep.groups_skipped, 0u);
}

TEST(CoOccurrence, FileRoundTripAndQuery) {
  testing::TempDir dir;
  const auto groups = random_groups(4, 150, 50);
  const BipartiteGraph g = graph_of(groups);
  const CoOccurrence c = CoOccurrence::build(g, {}, RunContext{1, 1});
  c.save(dir.file("c.cooc"));
  const CoOccurrence d = CoOccurrence::load(dir.file("c.cooc"));
  ASSERT_EQ(d.item_count(), c.item_count());
  for (uint32_t i = 0; i < c.item_count(); ++i) {
    ASSERT_EQ(d.neighbors(i).size(), c.neighbors(i).size());
    EXPECT_TRUE(std::equal(c.counts(i).begin(), c.counts(i).end(), d.counts(i).begin()));
  }
  // Query: weighted sum of cosines, query items excluded.
  const uint64_t a = c.item_id(0), b = c.item_id(1);
  CandidateRequest req;
  req.items = {a, b};
  req.weights = {1.0f, 2.0f};
  req.k = 5;
  const auto out = d.query(req, RunContext{});
  ASSERT_FALSE(out.empty());
  for (const auto& cand : out) {
    EXPECT_NE(cand.item, a);
    EXPECT_NE(cand.item, b);
    double expect = 0;
    for (int q = 0; q < 2; ++q) {
      const uint32_t qi = q ? 1 : 0;
      for (size_t p = 0; p < d.neighbors(qi).size(); ++p)
        if (d.item_id(d.neighbors(qi)[p]) == cand.item) expect += req.weights[q] * d.cosine(qi)[p];
    }
    EXPECT_NEAR(cand.score, expect, 1e-5);
  }
  // Corruption is caught.
  uint64_t at = 0;
  for (const auto& s : Container::open_any(dir.file("c.cooc")).sections())
    if (s.name == "counts") at = s.offset;
  std::string bytes = testing::read_file(dir.file("c.cooc"));
  bytes[at] ^= 1;
  testing::write_file(dir.file("bad.cooc"), bytes);
  EXPECT_THROW(CoOccurrence::load(dir.file("bad.cooc")), Error);
}

TEST(Sessions, CutByInactivityGap) {
  // user 0: t = 0, 100, 1900 (gap 1800 -> same session at gap 1800, new at gap 1799),
  // user 1 (rows interleaved, unsorted): 50, 10, 5000.
  const std::vector<uint32_t> user = {0, 1, 0, 1, 0, 1};
  const std::vector<int64_t> ts = {0, 50, 100, 10, 1900, 5000};
  const Sessions s = cut_sessions(user, 2, ts, 1800);
  EXPECT_EQ(s.count, 3u);
  EXPECT_EQ(s.users, 2u);
  EXPECT_EQ(s.session_of_row, (std::vector<uint32_t>{0, 1, 0, 1, 0, 2}));
  const Sessions t = cut_sessions(user, 2, ts, 1799);
  EXPECT_EQ(t.count, 4u);
  EXPECT_EQ(t.session_of_row, (std::vector<uint32_t>{0, 2, 0, 2, 1, 3}));
}

}  // namespace
}  // namespace reco::graph
