// MetricSet: accumulate several named metrics in one pass and report them together.
//
//   MetricSet set({"auc", "logloss", "ndcg@10", "gauc"});
//   for (row : rows) set.add_grouped(row.user, row.prediction, row.label, row.weight);
//   std::map<std::string, double> m = set.values();   // {"auc": 0.79, ...}
//   nlohmann::json j = set.to_json();
//
// Names are parsed by parse_metric (metric_registry.h); unknown names throw kInvalidArgument
// listing the valid ones; duplicates are reported once. Storage is shared: auc and pr_auc
// keep one ScoredSamples; every grouped metric reads one GroupedAccumulator, which is sorted
// once per values() call. Pointwise metrics keep O(1) state.
// add(prediction, label, weight) is for sets without grouped metrics (it throws otherwise);
// add_grouped(group, prediction, label, weight) works for every set. (Two names, not two
// overloads: add(7, 0.3, 1) would otherwise silently mean a different thing than add(7.0, ...).)
// Each row is validated by every requested metric (e.g. "auc" requires 0/1 labels, "logloss"
// predictions in [0, 1]); when add() throws, the set may hold part of that row: discard it.
// NaN values (metric undefined, e.g. AUC of one class) appear as NaN in values() and as null
// in to_json().
// Threading: not thread-safe. Use one MetricSet per thread (same names) and merge().
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "reco/eval/accuracy.h"
#include "reco/eval/brier.h"
#include "reco/eval/calibration_ratio.h"
#include "reco/eval/grouped_accumulator.h"
#include "reco/eval/log_loss.h"
#include "reco/eval/mean_squared_error.h"
#include "reco/eval/metric_registry.h"
#include "reco/eval/scored_samples.h"

namespace reco::eval {

class MetricSet {
 public:
  /// Throws kInvalidArgument when `names` is empty or holds an unknown name.
  explicit MetricSet(const std::vector<std::string>& names);

  void add(double prediction, double label, double weight = 1.0);
  void add_grouped(uint64_t group, double prediction, double label, double weight = 1.0);
  /// Requires the same metric names in the same order.
  void merge(const MetricSet& other);

  /// name -> value for every requested metric.
  std::map<std::string, double> values() const;
  /// {"count": n, "masked": m, "metrics": {name: value or null},
  ///  "groups": {grouped name: {"used": u, "skipped": s}}}  ("groups" only with grouped metrics)
  nlohmann::json to_json() const;

  const std::vector<MetricSpec>& specs() const { return specs_; }
  bool grouped() const { return grouped_; }
  /// Rows added with a non-NaN label / with a NaN label.
  uint64_t count() const { return count_; }
  uint64_t masked() const { return masked_; }

 private:
  struct Evaluated {
    std::map<std::string, double> values;
    std::map<std::string, GroupedResult> groups;
  };
  Evaluated evaluate() const;
  bool wants(MetricKind kind) const { return (kinds_ >> static_cast<int>(kind)) & 1u; }
  void add_pointwise(double prediction, double label, double weight);

  std::vector<MetricSpec> specs_;
  bool grouped_ = false;
  uint32_t kinds_ = 0;  // bit i set: a metric of MetricKind i was requested
  ScoredSamples scored_rows_{"auc/pr_auc"};
  LogLoss log_loss_;
  Brier brier_;
  Accuracy accuracy_;
  CalibrationRatio calibration_;
  MeanSquaredError mse_;
  GroupedAccumulator grouped_rows_{"grouped metrics"};
  uint64_t count_ = 0;
  uint64_t masked_ = 0;
};

}  // namespace reco::eval
