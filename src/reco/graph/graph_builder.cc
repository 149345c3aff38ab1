#include "reco/graph/graph_builder.h"

#include <algorithm>
#include <bit>
#include <numeric>

#include "reco/core/error.h"
#include "reco/core/timer.h"

namespace reco::graph {

nlohmann::json GraphBuildReport::to_json() const {
  return {{"input_edges", input_edges},
          {"skipped_rows", skipped_rows},
          {"duplicates_merged", duplicates_merged},
          {"edges_below_min_weight", edges_below_min_weight},
          {"left_over_degree", left_over_degree},
          {"right_over_degree", right_over_degree},
          {"edges_removed_by_degree", edges_removed_by_degree},
          {"left_isolated", left_isolated},
          {"right_isolated", right_isolated},
          {"left_nodes", left_nodes},
          {"right_nodes", right_nodes},
          {"edges", edges},
          {"seconds", seconds}};
}

namespace {

// Exclusive prefix sum of counts[0..n) into offsets[0..n] (offsets[n] = total).
std::vector<uint64_t> prefix_offsets(const std::vector<uint64_t>& counts) {
  std::vector<uint64_t> off(counts.size() + 1, 0);
  for (size_t i = 0; i < counts.size(); ++i) off[i + 1] = off[i] + counts[i];
  return off;
}

std::vector<uint32_t> sorted_order(const std::vector<uint64_t>& ids) {
  std::vector<uint32_t> order(ids.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return ids[a] < ids[b]; });
  return order;
}

}  // namespace

BipartiteGraph build_graph(const EdgeList& in, const GraphBuildOptions& opt, GraphBuildReport* report,
                           nlohmann::json meta) {
  Stopwatch watch;
  const size_t E = in.size();
  const size_t NL = in.left_ids.size(), NR = in.right_ids.size();
  RECO_CHECK_EQ(in.right.size(), E) << "edge list: right column length";
  RECO_CHECK(in.weights.empty() || in.weights.size() == E) << "edge list: weights must be empty or one per edge";
  RECO_CHECK(NL < kNoNode && NR < kNoNode) << "edge list: more than 2^32-1 nodes on one side";
  GraphBuildReport rep;
  rep.input_edges = E;
  rep.skipped_rows = in.skipped;
  const bool weighted = !in.weights.empty();

  // 1. Counting sort by left, each edge packed as (right << 32 | weight bits); then sort
  //    each row (rows are short and cache-resident, unlike a second scatter by right).
  std::vector<uint64_t> cnt(NL, 0);
  for (size_t e = 0; e < E; ++e) {
    RECO_CHECK(in.right[e] < NR && in.left[e] < NL) << "edge list: edge " << e << " index out of range";
    ++cnt[in.left[e]];
  }
  std::vector<uint64_t> row_off = prefix_offsets(cnt);
  std::vector<uint64_t>().swap(cnt);
  std::vector<uint64_t> packed(E);
  {
    std::vector<uint64_t> pos(row_off.begin(), row_off.end() - 1);
    for (size_t e = 0; e < E; ++e) {
      const float w = weighted ? in.weights[e] : 1.0f;
      packed[pos[in.left[e]]++] = (static_cast<uint64_t>(in.right[e]) << 32) | std::bit_cast<uint32_t>(w);
    }
  }
  std::vector<uint32_t> targets(E);
  std::vector<float> weights(E);
  for (size_t l = 0; l < NL; ++l) {
    std::sort(packed.begin() + row_off[l], packed.begin() + row_off[l + 1]);
    for (uint64_t p = row_off[l]; p < row_off[l + 1]; ++p) {
      targets[p] = static_cast<uint32_t>(packed[p] >> 32);
      weights[p] = std::bit_cast<float>(static_cast<uint32_t>(packed[p]));
    }
  }
  std::vector<uint64_t>().swap(packed);

  // 2. Merge duplicates and apply min_weight, compacting in place.
  uint64_t out = 0;
  for (size_t l = 0; l < NL; ++l) {
    const uint64_t b = row_off[l], end = row_off[l + 1];
    row_off[l] = out;
    for (uint64_t p = b; p < end;) {
      const uint32_t t = targets[p];
      float w = weights[p];
      uint64_t q = p + 1;
      for (; q < end && targets[q] == t; ++q) w += weights[q];
      rep.duplicates_merged += q - p - 1;
      if (w < opt.min_weight) {
        ++rep.edges_below_min_weight;
      } else {
        targets[out] = t;
        weights[out] = w;
        ++out;
      }
      p = q;
    }
  }
  row_off[NL] = out;

  // 3. Degree caps on the merged degrees, both sides at once.
  std::vector<uint64_t> rdeg(NR, 0);
  for (uint64_t p = 0; p < out; ++p) ++rdeg[targets[p]];
  std::vector<uint8_t> lkeep(NL, 1), rkeep(NR, 1);
  for (size_t l = 0; l < NL; ++l) {
    const uint64_t d = row_off[l + 1] - row_off[l];
    if (opt.max_left_degree > 0 && d > opt.max_left_degree) {
      lkeep[l] = 0;
      ++rep.left_over_degree;
    }
  }
  for (size_t r = 0; r < NR; ++r) {
    if (opt.max_right_degree > 0 && rdeg[r] > opt.max_right_degree) {
      rkeep[r] = 0;
      ++rep.right_over_degree;
    }
  }
  uint64_t out2 = 0;
  for (size_t l = 0; l < NL; ++l) {
    const uint64_t b = row_off[l], end = row_off[l + 1];
    row_off[l] = out2;
    for (uint64_t p = b; p < end; ++p) {
      if (!lkeep[l] || !rkeep[targets[p]]) {
        ++rep.edges_removed_by_degree;
        continue;
      }
      targets[out2] = targets[p];
      weights[out2] = weights[p];
      ++out2;
    }
  }
  row_off[NL] = out2;
  targets.resize(out2);
  weights.resize(out2);

  // 4. Renumber nodes that still have edges; transpose.
  GraphArrays a;
  std::vector<uint32_t> lmap(NL, kNoNode), rmap(NR, kNoNode);
  std::fill(rdeg.begin(), rdeg.end(), 0);
  for (uint64_t p = 0; p < out2; ++p) ++rdeg[targets[p]];
  for (size_t r = 0; r < NR; ++r) {
    if (rdeg[r] > 0) {
      rmap[r] = static_cast<uint32_t>(a.right_ids.size());
      a.right_ids.push_back(in.right_ids[r]);
    } else if (rkeep[r] && !(r < in.unused_right)) {
      ++rep.right_isolated;
    }
  }
  a.l2r_offsets.push_back(0);
  for (size_t l = 0; l < NL; ++l) {
    const uint64_t d = row_off[l + 1] - row_off[l];
    if (d == 0) {
      if (lkeep[l] && !(l < in.unused_left)) ++rep.left_isolated;
      continue;
    }
    lmap[l] = static_cast<uint32_t>(a.left_ids.size());
    a.left_ids.push_back(in.left_ids[l]);
    a.l2r_offsets.push_back(row_off[l + 1]);
  }
  // Rows are already packed in left order, so offsets carry over; remap targets in place.
  for (auto& t : targets) t = rmap[t];
  a.l2r_targets = std::move(targets);
  a.l2r_weights = std::move(weights);

  const uint32_t nl = static_cast<uint32_t>(a.left_ids.size()), nr = static_cast<uint32_t>(a.right_ids.size());
  std::vector<uint64_t> rcount(nr, 0);
  for (uint32_t t : a.l2r_targets) ++rcount[t];
  a.r2l_offsets = prefix_offsets(rcount);
  a.r2l_targets.resize(out2);
  a.r2l_weights.resize(out2);
  std::vector<uint64_t> rpos(a.r2l_offsets.begin(), a.r2l_offsets.end() - 1);
  for (uint32_t l = 0; l < nl; ++l) {
    for (uint64_t p = a.l2r_offsets[l]; p < a.l2r_offsets[l + 1]; ++p) {
      const uint64_t q = rpos[a.l2r_targets[p]]++;
      a.r2l_targets[q] = l;
      a.r2l_weights[q] = a.l2r_weights[p];
    }
  }
  a.left_order = sorted_order(a.left_ids);
  a.right_order = sorted_order(a.right_ids);

  rep.left_nodes = nl;
  rep.right_nodes = nr;
  rep.edges = out2;
  rep.seconds = watch.elapsed_seconds();
  meta["left"] = in.left_name;
  meta["right"] = in.right_name;
  meta["ids"] = in.ids;
  meta["weighted_input"] = weighted;
  meta["options"] = {{"max_left_degree", opt.max_left_degree},
                     {"max_right_degree", opt.max_right_degree},
                     {"min_weight", opt.min_weight}};
  meta["report"] = rep.to_json();
  if (report) *report = rep;
  return BipartiteGraph::from_arrays(std::move(a), std::move(meta));
}

}  // namespace reco::graph
