// TaskMetrics — evaluation metrics of a model's outputs, one eval::MetricSet per task.
//
// Keys of values(): with one task, the metric names themselves ("auc", "logloss", ...), as
// single-task models always reported them; with T tasks, "<task>/<metric>" for each task
// plus "<metric>" = the unweighted mean over the tasks where it is defined (so `monitor =
// "auc"` watches the mean task AUC and `monitor = "ctr/auc"` one task).
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/data/dataset.h"
#include "reco/eval/metric_set.h"
#include "reco/models/feature_map.h"

namespace reco::train {

struct TaskMetrics {
  std::vector<std::string> tasks;
  std::vector<eval::MetricSet> sets;  ///< aligned with tasks

  std::map<std::string, double> values() const;
  /// One task: the MetricSet's JSON. T tasks: {"metrics": values(), "tasks": {name: set JSON}}.
  nlohmann::json to_json() const;
};

/// Metrics of `predictions` ([rows.size() * T] row-major, T = features.tasks.size()) against
/// each task's label (masked rows skipped and counted) and the sample weight, if any.
TaskMetrics evaluate_predictions(const std::vector<std::string>& metrics, std::span<const float> predictions,
                                 const Dataset& dataset, const models::FeatureMap& features,
                                 std::span<const uint64_t> rows);

}  // namespace reco::train
