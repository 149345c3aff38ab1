// PositionBias — how a ranker handles the position an impression was shown at (seed 004 §14.3,
// Airbnb; YouTube's shallow tower; Joachims et al.'s inverse propensity weighting).
//
// Logged engagement ≈ P(examined | position) · P(engaged | examined, relevance): a model that
// learns from it without seeing the position learns the examination bias of the previous ranker
// as if it were relevance. Three remedies, chosen in the training config's [position] table:
//
//   method = "feature"  the position id is one more embedding input of the model. During
//                       training it is replaced by id 0 with probability `dropout` (Airbnb found
//                       0.15 by a sweep), so the relevance part cannot lean on it; at scoring
//                       every row gets id 0 ("position zeroed"), which shifts all candidates of
//                       a request alike and leaves their order to relevance. With `slice` set,
//                       dropout applies only to rows of the unbiased slice (and may be 1): there the
//                       position is drawn independently of the item, so id 0 learns a
//                       position-free rate (see "Why" below); other rows always keep their id.
//   method = "tower"    a shallow tower: a table [(max_position + 1) · cross_rows, T] whose entry
//                       for (cross id, position) is added to each head's logit during training
//                       (optionally crossed with a categorical column such as the platform,
//                       whose examination curve differs). Scoring leaves it out. Rows with
//                       position id 0 (unknown, or dropped out with `dropout`) get no tower term.
//   method = "ipw"      no position input; a positive of head t shown at position p weighs
//                       1/θ_t(p) in the loss, negatives weigh 1, with θ_t(p) = rate_t(p)/rate_t(1)
//                       estimated on the rows of the unbiased slice (`slice` column nonzero:
//                       the random-traffic requests of seed 004 §11.4.3), clipped below at
//                       `clip`. With c ~ Bernoulli(θ r) the expected loss is minimized at
//                       σ = r / (r + 1 − θ r), which equals the position-free rate r at the top
//                       slot and ≈ r elsewhere while r is small (engagement rates are). The fully
//                       unbiased form (target c/θ) has no per-example minimum once c/θ > 1 and
//                       diverges with sparse features, so we do not use it.
//                       Each task's loss is normalized by its summed weights (self-normalized).
//
// Why "feature" debiases little with a flexible model (measured on `reco simulate` logs, 5M impressions,
// seeds 1–3, NDCG@10 vs true relevance, docs/benchmarks.md): id 0 is trained only on the dropped-out rows,
// whose labels were logged at the positions the previous ranker chose, so the loss is minimized by
// E[y | x, id 0] = Σ_p P(p | x, logging) · P(y | x, p) — the same position-confounded rate a model without
// any position handling learns. The position embedding enters the shared MLP next to the content
// features, so it also interacts with them: feeding a fixed position k instead of id 0 at scoring
// (the do(position = k) counterfactual) was no better and moved NDCG@10 by up to 0.005 between k = 1 and
// k = 5 at one seed (none 0.8565; k=1 0.8522, k=5 0.8472, id 0 0.8567). A position effect that cannot
// interact with content — one additive logit term per (cross, position), method "tower" — or weights
// from the unbiased slice (method "ipw") are the forms whose "position removed" score is the relevance part;
// for "feature", dropping out only slice rows (`slice`) makes id 0's target Σ_p P(p) · P(y | x, p) with P(p)
// independent of x, which orders items by relevance when examination and relevance factorize (5M logs,
// seeds 1–3, Δ NDCG@10 vs none: slice-only dropout 1.0 +0.0007, +0.0027, −0.0001; dropout 0.15 on all rows
// −0.0010, +0.0006, +0.0002 — better in median, still within training noise at one seed; the slice is
// ~5 % of the rows). On logs with a strong previous-model bias (bench/sim/strong_popularity_bias.toml,
// 5 seeds) the same reasoning shows clearly: dropout 0 (id 0 never trains on logged positions) +0.015..+0.030,
// slice-only dropout +0.006..+0.022, dropout 0.15 −0.002..+0.007 vs none.
//
// Position ids: a raw position p ≥ 1 maps to id min(p, max_position); 0, negative or missing
// maps to 0 ("no position"). `max_position` = 0 in a config means "the column's maximum".
//
// Ownership: a value type stored in the FeatureMap (and so in every model file), including the
// estimated propensities, so scoring and re-training see the same numbers.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace reco {
class Dataset;
}

namespace reco::models {

enum class PositionMethod : uint8_t { kNone, kFeature, kTower, kIpw };
PositionMethod parse_position_method(std::string_view name);
std::string_view position_method_name(PositionMethod method);

struct PositionBias {
  PositionMethod method = PositionMethod::kNone;
  std::string column;          ///< 1-based positions (u32 or f32 column)
  uint32_t max_position = 0;   ///< ids 1..max_position; larger positions are clipped to it
  float dropout = 0.0f;        ///< feature / tower: training-time probability of id 0
  std::string cross;           ///< tower: optional categorical column crossed with the position
  uint32_t cross_rows = 1;     ///< tower: cardinality of `cross` (1 without it)
  std::string slice;           ///< ipw: column marking unbiased-slice rows (nonzero = in slice);
                               ///< feature / tower: when set, dropout only on those rows
  float clip = 0.05f;          ///< ipw: smallest propensity used (caps the weight at 1/clip)
  /// ipw: θ_t(id) per task, [T][max_position + 1] (entry 0 = 1). Filled by training.
  std::vector<std::vector<float>> propensity;

  bool enabled() const { return method != PositionMethod::kNone; }
  /// Rows of the position table: feature max+1, tower (max+1)·cross_rows, else 0.
  uint32_t table_rows() const;
  /// Checks the combination (kInvalidArgument naming the [position] key).
  void validate() const;
  nlohmann::json to_json() const;
  static PositionBias from_json(const nlohmann::json& j);
};

/// Position id of a raw logged value (see the header comment).
inline uint32_t position_id(double raw, uint32_t max_position) {
  if (!(raw >= 1.0)) return 0;  // also NaN
  const double clipped = std::min(std::floor(raw), static_cast<double>(max_position));
  return static_cast<uint32_t>(clipped);
}

/// A bound position column of any numeric storage (i32 from ingest's position role, u32, f32).
class PositionColumn {
 public:
  PositionColumn() = default;
  /// kInvalidArgument when the column is not numeric; kNotFound when absent.
  PositionColumn(const Dataset& dataset, const std::string& column);
  double raw(uint64_t row) const;
  uint32_t id(uint64_t row, uint32_t max_position) const { return position_id(raw(row), max_position); }
  /// Largest value in the column (0 when empty).
  double max_value() const;

 private:
  const int32_t* i32_ = nullptr;
  const uint32_t* u32_ = nullptr;
  const float* f32_ = nullptr;
  uint64_t rows_ = 0;
};

}  // namespace reco::models
