// Offline objective of utility-weight tuning (seed 000/001, last section): given the calibrated
// head probabilities p[i][t] of a trained multi-task model on logged candidate lists, a weight
// vector w ranks each request's rows by u_i = sum_t w_t p[i][t]; a metric "metric:head" scores
// that ranking against the head's label (e.g. pr_auc:long_click, auc:save, ndcg@10:click,
// gauc:click), with the eval metric classes (eval::MetricSet) and the rows' sample weights.
//
// Constraints (S3-S5): "metric:head>=C*baseline" (C times the metric at the baseline weights),
// ">=baseline", or ">=NUMBER" (absolute); slack = value - threshold, feasible when >= 0.
// S1 (weights sum to a constant) is handled by normalization: the optimizer searches the box of
// per-head bounds (S2) and every point is scaled to sum to `weight_sum` before ranking and
// reporting. Ranking by sum_t w_t p_t is invariant to a positive scale, so the normalization
// changes no metric; bounds therefore constrain the weights' ratios.
//
// Data layout: predictions row-major [rows x heads]; labels per head (NaN = masked); one group
// id and one sample weight per row. Owns copies; evaluation is const and single-threaded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace reco::tuning {

struct UtilityData {
  std::vector<std::string> heads;
  std::vector<float> predictions;          // [rows x heads] calibrated probabilities
  std::vector<std::vector<float>> labels;  // [heads][rows]
  std::vector<uint32_t> groups;            // request id per row
  std::vector<float> sample_weights;       // empty = all 1
  size_t rows() const { return groups.size(); }
};

/// "metric:head": a ranking metric of the utility against one head's label.
struct UtilityMetric {
  std::string text;  // as given
  std::string metric;
  size_t head = 0;
};

struct UtilityConstraint {
  UtilityMetric metric;
  double factor = 1.0;                  // threshold = factor * baseline (relative)
  std::optional<double> absolute;       // or an absolute threshold
  std::string text;
};

/// Parses "metric:head" against the heads; only ranking metrics (auc, pr_auc, gauc*, ndcg*,
/// recall@K, hit_rate@K) are accepted. Throws kInvalidArgument naming the text and the choices.
UtilityMetric parse_utility_metric(const std::string& text, const std::vector<std::string>& heads);
/// Parses "metric:head>=0.98*baseline" | ">=baseline" | ">=0.71".
UtilityConstraint parse_utility_constraint(const std::string& text, const std::vector<std::string>& heads);

/// Value of `metric` for rows ranked by sum_t w_t p_t (w has one weight per head).
double evaluate_utility_metric(const UtilityData& data, const UtilityMetric& metric, const std::vector<double>& w);

/// w scaled to sum to `total` (all-zero w: equal weights).
std::vector<double> normalize_weights(const std::vector<double>& w, double total);

}  // namespace reco::tuning
