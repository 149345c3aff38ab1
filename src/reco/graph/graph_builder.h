// build_graph: EdgeList -> BipartiteGraph by counting sort (no global sort of the edges).
//
// Steps, each O(E + nodes):
//   1. bucket the edges by left index (one counting-sort scatter), then sort each row by
//      right index (rows are short and stay in cache; a second scatter by right index
//      measured slower), so duplicate (left, right) edges are adjacent;
//   2. merge duplicates (weights summed; unweighted input counts 1 per edge), drop merged
//      edges whose weight < min_weight;
//   3. degree caps, decided on the degrees after step 2, both sides at once: a left node
//      (board / user / session) with more than max_left_degree distinct neighbours, or a
//      right node with more than max_right_degree, is removed with all its edges
//      (Pixie prunes very high-degree boards: they are unspecific and dominate walks);
//   4. drop nodes left without edges, renumber densely (order of the EdgeList indices),
//      and transpose into the right -> left CSR.
// Every removal is counted in GraphBuildReport.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "reco/graph/bipartite_graph.h"
#include "reco/graph/edge_list.h"

namespace reco::graph {

struct GraphBuildOptions {
  uint32_t max_left_degree = 0;   ///< 0 = no cap
  uint32_t max_right_degree = 0;  ///< 0 = no cap
  float min_weight = 0.0f;        ///< merged edges with weight < this are dropped
};

struct GraphBuildReport {
  uint64_t input_edges = 0;
  uint64_t skipped_rows = 0;              ///< EdgeList::skipped (OOV ids)
  uint64_t duplicates_merged = 0;         ///< input edges folded into an earlier identical one
  uint64_t edges_below_min_weight = 0;    ///< merged edges dropped by min_weight
  uint64_t left_over_degree = 0;          ///< left nodes removed by max_left_degree
  uint64_t right_over_degree = 0;         ///< right nodes removed by max_right_degree
  uint64_t edges_removed_by_degree = 0;   ///< merged edges touching a removed node
  uint64_t left_isolated = 0;             ///< left indices with no edge left (not counting the above
                                          ///< nor EdgeList::unused_*)
  uint64_t right_isolated = 0;
  uint32_t left_nodes = 0, right_nodes = 0;
  uint64_t edges = 0;
  double seconds = 0.0;

  nlohmann::json to_json() const;
};

BipartiteGraph build_graph(const EdgeList& edges, const GraphBuildOptions& options, GraphBuildReport* report = nullptr,
                           nlohmann::json meta = nlohmann::json::object());

}  // namespace reco::graph
