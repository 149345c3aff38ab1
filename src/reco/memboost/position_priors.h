// PositionPriors — the global prior engagement rate per (platform, position, engagement type): what an
// average result earns at a slot. Memboost's expected engagements sum these over a pair's impressions
// (seed 004 §11.3 COEC). Estimated from an event log, each impression weighted by its sample_weight
// (a negatively downsampled log then gives the full log's rates), optionally from one policy's rows
// only (e.g. "random": the unbiased slice, where rank does not follow relevance).
//
// Estimate (per type t; n = Σ weight, e = Σ weight · engaged_t):
//   pooled(p)      = (e_all(p) + k · overall) / (n_all(p) + k)          all platforms together
//   prior(pl, p)   = (e_pl(p) + k · pooled(p)) / (n_pl(p) + k)           shrunk toward the pooled curve
// with k = `smoothing` pseudo-impressions. A position past the last one with >= min_impressions
// (per platform; pooled for the pooled curve) takes that last supported position's value: deep slots
// with a handful of impressions would otherwise be noise. Unknown platforms use the pooled curve.
//
// Data layout: raw sums n[platform][position], e[platform][position][type] (platform slot 0 = pooled),
// and the finished table prior_[platform][position][type]; positions are 1-based, index 0 unused.
// Saved as JSON (a small, human-readable artifact; docs/memboost.md): the raw sums plus options, the
// table is recomputed on load so the file cannot disagree with itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "reco/core/context.h"
#include "reco/data/event_log.h"
#include "reco/memboost/counters.h"

namespace reco::memboost {

struct PriorOptions {
  double min_impressions = 1000;  ///< weighted impressions for a position to be "supported"
  double smoothing = 100;         ///< pseudo-impressions shrinking a rate toward its fallback
  std::string policy;             ///< only rows of this policy; empty = all rows
};

class PositionPriors {
 public:
  PositionPriors() = default;
  PositionPriors(std::vector<std::string> types, PriorOptions opt);

  /// Streams an event log; rows of other policies are skipped. Finishes the table.
  static PositionPriors estimate(const std::string& events_path, const PriorOptions& opt, const RunContext& ctx);

  /// Accumulates one impression (skipped when the policy filter does not match). Call finish() after.
  void add(const Event& e);
  void finish();

  const std::vector<std::string>& types() const { return types_; }
  const PriorOptions& options() const { return opt_; }
  /// Platforms seen, in first-seen order (the pooled curve is not listed).
  const std::vector<std::string>& platforms() const { return platforms_; }
  /// Platform slot for lookups: 1.. for a known platform, 0 (pooled) otherwise.
  int platform_slot(std::string_view platform) const;
  /// Largest position with any impression (pooled).
  uint32_t max_position() const;

  /// prior_t(platform slot, position); positions past the table clamp to its last row.
  double prior(int slot, uint32_t position, size_t type) const {
    const auto& rows = prior_[static_cast<size_t>(slot)];
    const size_t n_positions = rows.size() / types_.size();
    const size_t p = position < n_positions ? position : n_positions - 1;
    return rows[p * types_.size() + type];
  }
  double prior(std::string_view platform, uint32_t position, size_t type) const {
    return prior(platform_slot(platform), position, type);
  }
  /// prior(p) / prior(1): the examination curve relative to the top slot (0 if prior(1) is 0).
  double normalized(int slot, uint32_t position, size_t type) const;
  /// normalized() for positions 1..max_position().
  std::vector<double> curve(int slot, size_t type) const;
  /// Weighted impressions and engagements seen at (slot, position) (raw, not smoothed).
  double impressions(int slot, uint32_t position) const;
  double engagements(int slot, uint32_t position, size_t type) const;
  /// Impressions that passed the policy filter / all rows read by estimate().
  double total_impressions() const;
  uint64_t rows_read() const { return rows_read_; }
  uint64_t rows_used() const { return rows_used_; }

  void save(const std::string& path) const;
  static PositionPriors load(const std::string& path);
  /// A stable digest of the estimate (types, options, sums): stores remember which priors built them.
  uint64_t fingerprint() const;

 private:
  int slot_for_add(const std::string& platform);
  void grow(size_t slot, uint32_t position);

  std::vector<std::string> types_;
  PriorOptions opt_;
  std::vector<std::string> platforms_;
  std::unordered_map<std::string, int> slot_of_;
  std::vector<std::vector<double>> n_;      // [slot][position]
  std::vector<std::vector<double>> e_;      // [slot][position * types + t]
  std::vector<std::vector<double>> prior_;  // [slot][position * types + t]
  uint64_t rows_read_ = 0, rows_used_ = 0;
};

/// The Memboost key of an impression: (query item, result), or (kNoQuery, result) for a request
/// without a query item.
inline PairKey pair_key(const Event& e) { return {e.query_item_id, e.item_id}; }

/// Adds one impression to a pair's counters: weight, weight · engaged_t, weight · prior_t(slot).
void add_impression(PairCounters& c, const Event& e, const PositionPriors& priors);

}  // namespace reco::memboost
