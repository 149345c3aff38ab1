#include "reco/train/task_metrics.h"

#include <cmath>
#include <limits>

#include "reco/core/error.h"

namespace reco::train {

std::map<std::string, double> TaskMetrics::values() const {
  if (sets.size() == 1) return sets.front().values();
  std::map<std::string, double> out;
  std::map<std::string, std::pair<double, int>> mean;
  for (size_t t = 0; t < sets.size(); ++t) {
    for (const auto& [k, v] : sets[t].values()) {
      out[tasks[t] + "/" + k] = v;
      auto& m = mean[k];
      if (std::isfinite(v)) {
        m.first += v;
        ++m.second;
      }
    }
  }
  for (const auto& [k, m] : mean) out[k] = m.second ? m.first / m.second : std::numeric_limits<double>::quiet_NaN();
  return out;
}

nlohmann::json TaskMetrics::to_json() const {
  if (sets.size() == 1) return sets.front().to_json();
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& [k, v] : values()) metrics[k] = std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
  nlohmann::json per_task = nlohmann::json::object();
  for (size_t t = 0; t < sets.size(); ++t) per_task[tasks[t]] = sets[t].to_json();
  return {{"metrics", metrics}, {"tasks", per_task}};
}

TaskMetrics evaluate_predictions(const std::vector<std::string>& metrics, std::span<const float> predictions,
                                 const Dataset& dataset, const models::FeatureMap& features,
                                 std::span<const uint64_t> rows) {
  const size_t nt = features.tasks.size();
  RECO_CHECK(predictions.size() == rows.size() * nt)
      << "evaluate_predictions: " << predictions.size() << " predictions for " << rows.size() << " rows x " << nt
      << " tasks";
  TaskMetrics out;
  std::span<const float> weights;
  if (!features.weight.empty()) weights = dataset.f32(features.weight);
  for (size_t t = 0; t < nt; ++t) {
    const models::Task& task = features.tasks[t];
    out.tasks.push_back(task.name);
    eval::MetricSet set(metrics);
    const auto labels = models::task_labels(task, dataset, rows);
    for (size_t i = 0; i < rows.size(); ++i)
      set.add(predictions[i * nt + t], labels[i], weights.empty() ? 1.0 : weights[rows[i]]);
    out.sets.push_back(std::move(set));
  }
  return out;
}

}  // namespace reco::train
