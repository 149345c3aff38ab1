// Memboost counters of one (query, result) pair and the stateless COEC / Memboost-score math
// (seed 004 §11.3; formulas in docs/memboost.md).
//
//   impressions   Σ sample_weight over the pair's impressions (a downsampled log counts each kept
//                 impression 1/alpha times, so counts estimate the full log's)
//   engaged[t]    Σ sample_weight · engaged_t            — c_t, engagements of type t
//   expected[t]   Σ sample_weight · prior_t(platform, position) — E[c_t], what an average result would
//                 have earned at the same slots
//   COEC_t = c_t / E_t;  combined over types with weights β: c = Σ β_t c_t, E = Σ β_t E_t;
//   Memboost score = log((c + α_s) / (E + α_s)), zero when the result earns what its slots predict.
//
// A pair with no query item (home-feed requests) uses query = kNoQuery: item-level memory.
// Data layout: PairCounters holds up to kMaxEngagementTypes types inline (no heap), `types` says how
// many are in use; it is a plain value type.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace reco::memboost {

inline constexpr size_t kMaxEngagementTypes = 8;
inline constexpr uint64_t kNoQuery = UINT64_MAX;  // == Event::kNoQuery

struct PairKey {
  uint64_t query = kNoQuery;
  uint64_t item = 0;
  bool operator==(const PairKey&) const = default;
};

struct PairKeyHash {
  size_t operator()(const PairKey& k) const noexcept {
    // SplitMix-style mixing of both ids: consecutive ids must not land in consecutive buckets.
    uint64_t h = k.query * 0x9E3779B97F4A7C15ULL ^ (k.item + 0x632BE59BD9B4E019ULL);
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 29;
    return static_cast<size_t>(h);
  }
};

struct PairCounters {
  uint32_t types = 0;  ///< engagement types in use (<= kMaxEngagementTypes)
  double impressions = 0.0;
  std::array<double, kMaxEngagementTypes> engaged{};
  std::array<double, kMaxEngagementTypes> expected{};

  explicit PairCounters(uint32_t n_types = 0);
  /// Adds another pair's counts (same number of types).
  void add(const PairCounters& other);
  bool operator==(const PairCounters&) const = default;
};

/// clicks over expected clicks; 0 when nothing was expected (no impressions yet).
double coec(double engaged, double expected);

/// (c + smoothing) / (E + smoothing): COEC shrunk toward 1 by the same pseudo-count as the
/// Memboost score. 1 for an unseen pair, so as a ranking feature "no history" reads as
/// "as expected", not as "never engaged" (which raw COEC's 0 would claim).
double smoothed_coec(double engaged, double expected, double smoothing);

/// Σ_t weights[t] · values[t] over the first `weights.size()` types.
double weighted_sum(std::span<const double> values, std::span<const double> weights);

/// log((c + smoothing) / (E + smoothing)) for combined c, E. smoothing > 0 keeps it finite.
double memboost_score(double engaged, double expected, double smoothing);
/// Score of a pair combined over its types with `weights` (one per type).
double memboost_score(const PairCounters& c, std::span<const double> weights, double smoothing);

/// Parses "click=1,save=2" against the log's engagement types; types not named get weight 0.
/// Empty text = every type weight 1. Throws kInvalidArgument naming an unknown type or a bad number.
std::vector<double> parse_type_weights(const std::string& text, const std::vector<std::string>& types);

/// Packed value of the store: [version u8][types u8][impressions f64][engaged f64 × types][expected f64 × types],
/// little-endian doubles. unpack throws kCorrupt on a bad size or version.
std::string pack_counters(const PairCounters& c);
PairCounters unpack_counters(std::string_view bytes);
inline constexpr uint8_t kCountersVersion = 1;

}  // namespace reco::memboost
