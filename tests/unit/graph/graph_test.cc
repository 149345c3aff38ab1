// BipartiteGraph / build_graph against a brute-force adjacency; container round trip.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include "reco/core/container.h"
#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "reco/data/dataset.h"
#include "reco/graph/graph_builder.h"
#include "testing/testing.h"

namespace reco::graph {
namespace {

struct RawEdge {
  uint64_t l, r;
  float w;
};

std::vector<RawEdge> random_edges(uint64_t seed, size_t n, uint64_t n_left, uint64_t n_right) {
  Rng rng(seed);
  std::vector<RawEdge> e;
  for (size_t i = 0; i < n; ++i)  // sparse raw ids, many duplicates
    e.push_back({1000 + 7 * rng.below(n_left), 5'000'000'000ULL + 13 * rng.below(n_right),
                 static_cast<float>(rng.below(4) + 1) * 0.25f});
  return e;
}

EdgeList to_edge_list(const std::vector<RawEdge>& raw, bool weighted) {
  EdgeListBuilder b;
  for (const auto& e : raw) b.add(e.l, e.r, e.w, weighted);
  return b.finish();
}

// Brute force: merged weights, min_weight, both degree caps at once, isolated nodes dropped.
struct Expected {
  std::map<std::pair<uint64_t, uint64_t>, float> edges;
  GraphBuildReport rep;
};

Expected brute_force(const std::vector<RawEdge>& raw, bool weighted, const GraphBuildOptions& opt) {
  Expected x;
  std::map<std::pair<uint64_t, uint64_t>, float> merged;
  std::set<uint64_t> all_left, all_right;
  for (const auto& e : raw) {
    merged[{e.l, e.r}] += weighted ? e.w : 1.0f;
    all_left.insert(e.l);
    all_right.insert(e.r);
  }
  x.rep.duplicates_merged = raw.size() - merged.size();
  std::map<uint64_t, uint64_t> ldeg, rdeg;
  for (auto it = merged.begin(); it != merged.end();) {
    if (it->second < opt.min_weight) {
      ++x.rep.edges_below_min_weight;
      it = merged.erase(it);
    } else {
      ++ldeg[it->first.first];
      ++rdeg[it->first.second];
      ++it;
    }
  }
  std::set<uint64_t> lcut, rcut;
  for (auto [l, d] : ldeg)
    if (opt.max_left_degree && d > opt.max_left_degree) lcut.insert(l);
  for (auto [r, d] : rdeg)
    if (opt.max_right_degree && d > opt.max_right_degree) rcut.insert(r);
  x.rep.left_over_degree = lcut.size();
  x.rep.right_over_degree = rcut.size();
  std::set<uint64_t> lkept, rkept;
  for (auto& [k, w] : merged) {
    if (lcut.count(k.first) || rcut.count(k.second)) {
      ++x.rep.edges_removed_by_degree;
      continue;
    }
    x.edges[k] = w;
    lkept.insert(k.first);
    rkept.insert(k.second);
  }
  x.rep.left_isolated = all_left.size() - lkept.size() - lcut.size();
  x.rep.right_isolated = all_right.size() - rkept.size() - rcut.size();
  return x;
}

void expect_matches(const BipartiteGraph& g, const Expected& x) {
  std::map<std::pair<uint64_t, uint64_t>, float> got_l2r, got_r2l;
  const CsrView& l2r = g.left_to_right();
  for (uint32_t l = 0; l < g.left_count(); ++l) {
    const auto row = l2r.row(l);
    ASSERT_FALSE(row.empty());
    for (size_t p = 0; p < row.size(); ++p) {
      if (p) {
        EXPECT_LT(row[p - 1], row[p]);
      }
      got_l2r[{g.left_id(l), g.right_id(row[p])}] = l2r.row_weights(l)[p];
    }
    EXPECT_EQ(g.find_left(g.left_id(l)), l);
  }
  const CsrView& r2l = g.right_to_left();
  for (uint32_t r = 0; r < g.right_count(); ++r) {
    const auto row = r2l.row(r);
    for (size_t p = 0; p < row.size(); ++p) got_r2l[{g.left_id(row[p]), g.right_id(r)}] = r2l.row_weights(r)[p];
    EXPECT_EQ(g.find_right(g.right_id(r)), r);
  }
  EXPECT_EQ(got_l2r, x.edges);
  EXPECT_EQ(got_r2l, x.edges);
  EXPECT_EQ(g.edge_count(), x.edges.size());
  EXPECT_EQ(g.find_right(12345), kNoNode);
}

TEST(GraphBuild, MatchesBruteForceUnweightedNoPruning) {
  const auto raw = random_edges(1, 3000, 60, 200);
  GraphBuildReport rep;
  const BipartiteGraph g = build_graph(to_edge_list(raw, false), {}, &rep);
  const Expected x = brute_force(raw, false, {});
  expect_matches(g, x);
  EXPECT_EQ(rep.duplicates_merged, x.rep.duplicates_merged);
  EXPECT_GT(rep.duplicates_merged, 0u);
  EXPECT_EQ(rep.input_edges, raw.size());
}

TEST(GraphBuild, MatchesBruteForceWithWeightsAndPruning) {
  const auto raw = random_edges(2, 5000, 80, 300);
  GraphBuildOptions opt;
  opt.min_weight = 0.6f;
  opt.max_left_degree = 45;
  opt.max_right_degree = 16;
  GraphBuildReport rep;
  const BipartiteGraph g = build_graph(to_edge_list(raw, true), opt, &rep);
  const Expected x = brute_force(raw, true, opt);
  expect_matches(g, x);
  EXPECT_EQ(rep.duplicates_merged, x.rep.duplicates_merged);
  EXPECT_EQ(rep.edges_below_min_weight, x.rep.edges_below_min_weight);
  EXPECT_EQ(rep.left_over_degree, x.rep.left_over_degree);
  EXPECT_EQ(rep.right_over_degree, x.rep.right_over_degree);
  EXPECT_EQ(rep.edges_removed_by_degree, x.rep.edges_removed_by_degree);
  EXPECT_EQ(rep.left_isolated, x.rep.left_isolated);
  EXPECT_EQ(rep.right_isolated, x.rep.right_isolated);
  // The thresholds were chosen so that each kind of pruning happens.
  EXPECT_GT(rep.edges_below_min_weight, 0u);
  EXPECT_GT(rep.left_over_degree, 0u);
  EXPECT_GT(rep.right_over_degree, 0u);
}

TEST(GraphFile, RoundTripAndCorruptionRejected) {
  testing::TempDir dir;
  const auto raw = random_edges(3, 2000, 50, 150);
  const BipartiteGraph g = build_graph(to_edge_list(raw, true), {});
  const std::string path = dir.file("g.graph");
  g.save(path);
  const BipartiteGraph h = BipartiteGraph::load(path);
  ASSERT_EQ(h.left_count(), g.left_count());
  ASSERT_EQ(h.right_count(), g.right_count());
  ASSERT_EQ(h.edge_count(), g.edge_count());
  for (int d = 0; d < 2; ++d) {
    const CsrView& a = d ? g.right_to_left() : g.left_to_right();
    const CsrView& b = d ? h.right_to_left() : h.left_to_right();
    EXPECT_TRUE(std::equal(a.offsets.begin(), a.offsets.end(), b.offsets.begin()));
    EXPECT_TRUE(std::equal(a.targets.begin(), a.targets.end(), b.targets.begin()));
    EXPECT_TRUE(std::equal(a.weights.begin(), a.weights.end(), b.weights.begin()));
  }
  for (uint32_t r = 0; r < g.right_count(); ++r) EXPECT_EQ(h.right_id(r), g.right_id(r));
  EXPECT_EQ(h.meta()["report"]["edges"], g.edge_count());

  // Flip one byte of the l2r/targets payload: the section checksum must catch it.
  uint64_t at = 0;
  for (const auto& s : Container::open_any(path).sections())
    if (s.name == "l2r/targets") at = s.offset + s.size / 2;
  ASSERT_GT(at, 0u);
  std::string bytes = testing::read_file(path);
  bytes[at] ^= 0x5a;
  const std::string bad = dir.file("bad.graph");
  testing::write_file(bad, bytes);
  try {
    BipartiteGraph::load(bad);
    FAIL() << "corrupted graph accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt);
  }
  EXPECT_THROW(BipartiteGraph::load(dir.file("missing.graph")), Error);
}

TEST(EdgeList, CsvWithHeaderAndWeights) {
  testing::TempDir dir;
  testing::write_file(dir.file("e.csv"), "left,right,weight\n1,10,0.5\n1,10,1.5\n2,10,1\n# comment\n2,11,3\n");
  const EdgeList e = read_csv_edges(dir.file("e.csv"));
  ASSERT_EQ(e.size(), 4u);
  ASSERT_EQ(e.weights.size(), 4u);
  const BipartiteGraph g = build_graph(e, {});
  EXPECT_EQ(g.edge_count(), 3u);
  const uint32_t l1 = g.find_left(1), r10 = g.find_right(10);
  ASSERT_NE(l1, kNoNode);
  ASSERT_EQ(g.left_to_right().row(l1).size(), 1u);
  EXPECT_EQ(g.left_to_right().row(l1)[0], r10);
  EXPECT_FLOAT_EQ(g.left_to_right().row_weights(l1)[0], 2.0f);

  testing::write_file(dir.file("bad.csv"), "1,10\n2,x\n");
  try {
    read_csv_edges(dir.file("bad.csv"));
    FAIL() << "bad row accepted";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("bad.csv:2"), std::string::npos) << e.message();
  }
}

TEST(EdgeList, DatasetU32AndI64Columns) {
  testing::TempDir dir;
  {
    DatasetWriter w(dir.file("d.ds"));
    w.set_rows(5);
    ColumnInfo group;
    group.name = "group";
    group.role = ColumnRole::kCategorical;
    group.cardinality = 4;
    group.encoding = "identity";
    w.add_u32(group, std::vector<uint32_t>{1, 1, 2, 3, 3});
    ColumnInfo item;
    item.name = "item";
    item.role = ColumnRole::kTimestamp;  // any i64 column
    w.add_i64(item, std::vector<int64_t>{900, 901, 900, 902, 902});
    w.commit();
  }
  const Dataset data = Dataset::open(dir.file("d.ds"));
  const EdgeList e = read_dataset_edges(data, "group", "item");
  EXPECT_EQ(e.size(), 5u);
  const BipartiteGraph g = build_graph(e, {});
  EXPECT_EQ(g.edge_count(), 4u);  // (3, 902) twice
  EXPECT_EQ(g.right_count(), 3u);
  ASSERT_NE(g.find_right(902), kNoNode);
  EXPECT_EQ(g.right_to_left().degree(g.find_right(900)), 2u);
  try {
    read_dataset_edges(data, "group", "board");
    FAIL() << "missing column accepted";
  } catch (const Error& err) {
    EXPECT_NE(err.message().find("'board'"), std::string::npos) << err.message();
    EXPECT_NE(err.message().find("d.ds"), std::string::npos) << err.message();
  }
}

}  // namespace
}  // namespace reco::graph
