// PixieWalk: Pixie random walks with restart on a BipartiteGraph (Eksombatchai et al.,
// "Pixie: A System for Recommending 3+ Billion Items to 200+ Million Users in Real-Time",
// WWW 2018) as a CandidateSource over the right (item) nodes.
//
// One step goes item -> random left neighbour (board / user / session) -> random item,
// counts one visit at the item reached, then restarts at the query node with probability
// alpha (so walk lengths are geometric with mean 1/alpha steps). Visit frequencies estimate
// the personalized PageRank with restart of the two-hop item chain: v = (alpha e_q +
// (1 - alpha) v) P, P = item -> left -> item transition matrix (tested against power
// iteration).
//
// Several query nodes q with weights w_q: the budget of `steps` is split with
// allocate_steps(w_q * s_q), s_q = pixie_step_scale(deg q, log max item degree); each query
// node keeps its own visit counts V_q, merged by boost_visits: V[p] = (sum_q sqrt V_q[p])^2.
// Early stopping (n_p > 0): a query node's walk ends once n_p items have >= n_v visits.
// Query nodes are never returned; unknown or isolated query ids are skipped (counted).
//
// Memory-level parallelism: on a graph larger than the cache each step is a chain of
// dependent cache misses, so each worker advances `walkers` independent walks in lockstep
// with prefetches (3x the steps/s on a 20M-edge graph); on small graphs one walk is faster.
//
// Threads: ctx.threads workers; worker t walks its share (N_q / T, remainder to the first
// workers) of every query node with its own Rng(derive_seed(ctx.seed, t)) and own counts,
// summed at the end. With early stopping each worker applies n_p and ceil(n_v / T) to its
// own counts. A fixed (seed, threads) pair therefore reproduces the result bit for bit,
// whatever the scheduling; one thread is the reference.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "reco/core/context.h"
#include "reco/core/rng.h"
#include "reco/graph/bipartite_graph.h"
#include "reco/graph/visit_counter.h"
#include "reco/retrieval/candidate.h"

namespace reco::graph {

inline constexpr int kMaxWalkers = 64;

struct PixieOptions {
  uint64_t steps = 100000;  ///< total step budget N over all query nodes
  double alpha = 0.5;       ///< restart probability after each step, in [0, 1]
  uint32_t n_p = 0;         ///< early stopping: stop when n_p items ... (0 = off)
  uint32_t n_v = 4;         ///< ... have at least n_v visits
  bool weighted = false;    ///< sample neighbours proportionally to edge weights
  /// Walks interleaved per thread to overlap cache misses (1..kMaxWalkers); 0 = auto:
  /// 16 when the graph's arrays exceed 4 MB, else 1. Results depend on it (not on timing).
  int walkers = 0;
  void validate() const;
};

struct PixieResult {
  std::vector<uint32_t> query_nodes;     ///< right node index per used query
  std::vector<float> query_weights;
  std::vector<uint64_t> steps_allocated;  ///< per used query
  std::vector<uint64_t> steps_walked;     ///< per used query (< allocated when stopped early)
  std::vector<VisitCounter> visits;       ///< V_q per used query
  uint64_t skipped_queries = 0;           ///< unknown ids / weight <= 0
  uint64_t total_steps() const;
};

/// (right node index, boosted visits) for every visited node except the query nodes,
/// best first (ties: smaller raw id first); at most k, those passing `keep` when set.
std::vector<std::pair<uint32_t, double>> pixie_top(const BipartiteGraph& graph, const PixieResult& result, size_t k,
                                                   const std::function<bool(uint64_t)>& keep = {});

class PixieWalk final : public CandidateSource {
 public:
  /// `graph` must outlive the walker.
  PixieWalk(const BipartiteGraph& graph, PixieOptions options);

  std::string_view name() const override { return "pixie"; }
  std::vector<Candidate> query(const CandidateRequest& request, const RunContext& ctx) const override;

  /// Walks from raw item ids (weights empty = all 1).
  PixieResult walk(std::span<const uint64_t> items, std::span<const float> weights, const RunContext& ctx) const;
  /// Walks from right node indices (must have degree >= 1).
  PixieResult walk_nodes(std::span<const uint32_t> nodes, std::span<const float> weights,
                         const RunContext& ctx) const;

  const PixieOptions& options() const { return options_; }

 private:
  // n steps from `start` into `counts`; returns the steps walked (< n when stopped early).
  uint64_t walk_interleaved(uint32_t start, uint64_t n, uint32_t stop_visits, uint64_t restart_threshold,
                            bool always_restart, const float* lcum, const float* rcum, Rng& rng,
                            VisitCounter& counts) const;

  const BipartiteGraph& graph_;
  PixieOptions options_;
  double log_max_degree_ = 0.0;
  int walkers_ = 1;
  // Weighted sampling: per-row inclusive prefix sums of the edge weights, both directions.
  std::vector<float> l2r_cumulative_, r2l_cumulative_;
};

}  // namespace reco::graph
