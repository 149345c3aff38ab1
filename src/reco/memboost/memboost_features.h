// Memboost values as point-in-time ranking features (seed 004 §11.3 point 4: the ranker learns their
// weight instead of a hand-tuned boost).
//
// MemboostFeatures keeps counters in memory, keyed by (query, result); row() reads a pair's current
// values, observe() counts one impression. write_feature_csv() streams an event log in its order
// and, per request (a run of rows with one request_id), first emits every row's features from the
// counters of EARLIER requests only, then observes the request's rows — so no row's label ever
// reaches its own features, nor those of its request's other rows.
//
// CSV columns (P = the primary type: "click" when the log has it, else its first type):
//   mb_impressions, mb_expected_<P>, mb_<P>, mb_coec_<P>, mb_score,
//   then for every other type t: mb_<t>, mb_expected_<t>
// mb_score = memboost_score over all types with the given weights and smoothing; mb_coec =
// (c + smoothing) / (E + smoothing), the COEC shrunk toward 1 (1 before any impression, so a
// cold pair does not look like one that was never engaged; raw c and E are columns too). Row i of the CSV belongs to row i of the log.
//
// Memboost-input dropout (ColdMask): a model trained on these columns sees mostly pairs with
// history, so its response to a cold pair (all counts 0, COEC 1, score 0) is learned from few rows
// and it leans on the Memboost columns at the expense of the content features that cold lists
// depend on. With cold.fraction > 0, every row of a seeded share of (query, item) pairs whose
// timestamp is before cold.before (the training part) is written with the values an unseen pair
// gets; the counters still count those rows, so later (validation/test) rows keep their history.
// A pair is selected by a hash of (seed, query, item): all its training rows go cold together,
// as for a pair never seen, and the choice does not depend on the log's order or size.
//
// Data layout: a PairIndex (PairKey -> dense slot) and one flat array of doubles, stride 1 + 2·types:
// [impressions, engaged_0..T-1, expected_0..T-1] per slot; ~(40..80 + 8·(1+2T)) bytes per pair.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reco/core/context.h"
#include "reco/memboost/counters.h"
#include "reco/memboost/pair_index.h"
#include "reco/memboost/position_priors.h"

namespace reco::memboost {

struct FeatureRow {
  PairCounters counters;  ///< the pair's counts so far (all zero for a first impression)
  double coec = 1;        ///< smoothed COEC of the primary type (1 for an unseen pair)
  double score = 0;       ///< combined Memboost score (0 for an unseen pair)
};

class MemboostFeatures {
 public:
  /// `weights`: one per priors.types() entry; `smoothing` > 0. Keeps a reference to `priors`.
  MemboostFeatures(const PositionPriors& priors, std::vector<double> weights, double smoothing);

  FeatureRow row(uint64_t query, uint64_t item) const;
  void observe(const Event& e);
  /// The pair's slot (created with zero counts when new), and the slot-level row()/observe().
  uint32_t slot(const PairKey& key);
  FeatureRow row_at(uint32_t slot) const;
  void observe_at(uint32_t slot, const Event& e);
  /// Cache hints for a batch of lookups (a request's rows): keys first, then their slots' values.
  void prefetch(const PairKey& key) const { index_.prefetch(key); }
  void prefetch_at(uint32_t slot) const { __builtin_prefetch(&values_[slot * (1 + 2 * types_)]); }

  size_t primary_type() const { return primary_; }
  std::vector<std::string> column_names() const;
  size_t pairs() const { return index_.size(); }

 private:
  const PositionPriors& priors_;
  std::vector<double> weights_;
  double smoothing_;
  size_t types_;
  size_t primary_ = 0;
  PairIndex index_;
  std::vector<double> values_;  // [slot * (1 + 2T) + ...]
};

struct ColdMask {
  double fraction = 0;             ///< share of pairs masked, in [0, 1]; 0 = off
  int64_t before = INT64_MIN;      ///< only rows with timestamp < before are masked (the training part)
  uint64_t seed = 0;               ///< selects the pairs (cold_pair())
};

/// Whether `mask` selects the pair (query, item): a pure function of (seed, query, item).
bool cold_pair(const ColdMask& mask, uint64_t query, uint64_t item);

struct FeaturesReport {
  uint64_t rows = 0;
  uint64_t requests = 0;
  uint64_t pairs = 0;
  uint64_t rows_with_history = 0;  ///< rows whose pair had impressions before (as counted, before masking)
  uint64_t rows_masked = 0;        ///< rows written with cold values (ColdMask)
  double seconds = 0;
};

/// Streams `events_path` and writes the feature CSV to `out_path` (atomically). The log must be
/// in time order (timestamps never decrease; kInvalidArgument naming the line otherwise) unless
/// `allow_unsorted`, which takes file order as time order. `cold`: Memboost-input dropout (above).
FeaturesReport write_feature_csv(const std::string& events_path, const PositionPriors& priors,
                                 const std::vector<double>& weights, double smoothing, const std::string& out_path,
                                 bool allow_unsorted, const RunContext& ctx, const ColdMask& cold = {});

}  // namespace reco::memboost
