// Memboost insertion (seed 004 §11.3 point 5): results known to be good for a query — top-n by
// Memboost score with enough impressions — are appended to the candidate set when upstream
// candidate generation no longer produces them.
//
// Only results that earned more than expected (score > min_score, default 0) qualify: inserting a
// result that underperforms its slots would be memorizing a loser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "reco/memboost/counters.h"

namespace reco::memboost {

class MemboostStore;

struct InsertionOptions {
  std::vector<double> weights;   ///< one per engagement type (parse_type_weights)
  double smoothing = 10;         ///< α_s of memboost_score
  double min_impressions = 100;  ///< weighted impressions a pair needs to be trusted
  double min_score = 0;          ///< only results scoring above this
};

struct ScoredResult {
  uint64_t item = 0;
  double score = 0;
  PairCounters counters;
};

/// The best `n` of `results` by score (ties: smaller item id first), after the thresholds.
std::vector<ScoredResult> top_results(const std::vector<std::pair<uint64_t, PairCounters>>& results, size_t n,
                                      const InsertionOptions& opt);
/// Same, over the store's results for `query` (a prefix scan).
std::vector<ScoredResult> top_results(const MemboostStore& store, uint64_t query, size_t n,
                                      const InsertionOptions& opt);

/// Appends the items of `top` (in order) that are not in `candidates`; returns how many it appended.
size_t insert_missing(std::vector<uint64_t>& candidates, const std::vector<ScoredResult>& top);
/// top_results(store, query, n) then insert_missing.
size_t insert_missing(std::vector<uint64_t>& candidates, const MemboostStore& store, uint64_t query, size_t n,
                      const InsertionOptions& opt);

}  // namespace reco::memboost
