// CandidateEvaluator: offline quality of a CandidateSource on held-out interactions
// (`reco candidates eval`).
//
// Per test user u with at least one training row:
//   history H_u = u's distinct training items, ordered by their last occurrence (oldest
//                 first, so "the last n" are the most recent), weight = summed row weights;
//   relevant T_u = u's distinct test items not in H_u (they cannot be recommended: the
//                 request excludes training items; dropped ones are counted);
//   request      = {user u, items H_u, weights, k = max K, filter: item not in H_u};
//   ranked list  = the source's answer in its order (rank 1 = first).
// Metrics at each K (binary relevance, hits = |top-K ∩ T_u|):
//   Recall@K   = hits / |T_u|
//   NDCG@K     = sum_{rank r <= K, hit} 1/log2(r+1)  /  sum_{r=1}^{min(|T_u|, K)} 1/log2(r+1)
//   HR@K       = 1 if hits > 0
//   Coverage@K = |union over users of top-K| / |catalog|, catalog = distinct training items.
// Recall/NDCG/HR are means over evaluated users. The source's order is taken as is (no tie
// averaging: unlike reco/eval's grouped metrics, items a source did not return have no score).
// Users with test rows but no training row are "cold": counted, not evaluated; users whose
// every test item is in their history are counted too.
//
// Threads: users are split over ctx.threads workers; each query runs with threads = 1 and
// seed derive_seed(ctx.seed, user), and per-user results are reduced in user order, so the
// result does not depend on the thread count.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/core/context.h"
#include "reco/retrieval/candidate.h"
#include "reco/retrieval/interactions.h"

namespace reco {

struct CandidateEvalOptions {
  std::vector<size_t> ks{10, 20, 50, 100};
  size_t max_users = 0;  ///< evaluate the first N eligible users by id (0 = all)
};

/// Per-user ranking quality of one ranked list against a sorted relevant set.
double recall_at(std::span<const uint64_t> ranked, std::span<const uint64_t> relevant_sorted, size_t k);
double ndcg_at(std::span<const uint64_t> ranked, std::span<const uint64_t> relevant_sorted, size_t k);
double hit_rate_at(std::span<const uint64_t> ranked, std::span<const uint64_t> relevant_sorted, size_t k);

struct CandidateEvalResult {
  std::string source;
  std::vector<size_t> ks;
  std::vector<double> recall, ndcg, hit_rate, coverage;  ///< one per K
  uint64_t test_users = 0;          ///< users with >= 1 test row
  uint64_t users_evaluated = 0;
  uint64_t users_cold = 0;          ///< no training row
  uint64_t users_no_relevant = 0;   ///< every test item already in the history
  uint64_t users_not_requested = 0; ///< beyond max_users
  uint64_t test_items_in_history = 0;
  uint64_t catalog = 0;
  double mean_candidates = 0.0;     ///< mean list length returned
  double seconds = 0.0;
  double queries_per_second = 0.0;
  int threads = 1;
  nlohmann::json to_json() const;
};

class CandidateEvaluator {
 public:
  CandidateEvaluator(std::span<const Interaction> train, std::span<const Interaction> test,
                     CandidateEvalOptions options = {});

  CandidateEvalResult evaluate(const CandidateSource& source, const RunContext& ctx) const;

  /// The request evaluate() sends for evaluated user index i (tests, `query --user`).
  CandidateRequest request_for(size_t i) const;
  size_t users() const { return users_.size(); }
  uint64_t catalog_size() const { return catalog_; }

 private:
  struct User {
    uint64_t id = 0;
    std::vector<uint64_t> history;         ///< by last occurrence
    std::vector<float> weights;
    std::vector<uint64_t> history_sorted;  ///< for the filter
    std::vector<uint64_t> relevant;        ///< sorted
  };
  CandidateEvalOptions options_;
  std::vector<User> users_;  ///< evaluated users, ascending id
  uint64_t test_users_ = 0, cold_ = 0, no_relevant_ = 0, not_requested_ = 0, in_history_ = 0;
  uint64_t catalog_ = 0;
};

/// A user's history (distinct items by last occurrence, summed weights) from sorted rows.
void user_history(std::span<const Interaction> rows, std::vector<uint64_t>& items, std::vector<float>& weights);

}  // namespace reco
