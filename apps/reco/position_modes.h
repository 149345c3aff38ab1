// Shared by `reco eval` and `reco rank`: scoring under each position mode, and NDCG@k of a
// ranking against a graded relevance column (e.g. the simulator's true_relevance).
//
// A model with a position input (feature or tower, models/position_bias.h) is judged twice,
// Airbnb-style: with each row's logged position fed ("logged": relevance and position bias
// together) and with the position zeroed ("zeroed": relevance alone, how it serves).
#pragma once

#include <cmath>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "reco/core/error.h"
#include "reco/data/dataset.h"
#include "reco/eval/metric_set.h"
#include "reco/models/ctr_model.h"

namespace reco::cli {

/// "zeroed" always; "logged" too when the model has a position input and `which` allows it.
/// which: "" (default: both when there is a position input), "zeroed", "logged" or "both".
inline std::vector<std::string> position_modes(const models::CtrModel& model, const std::string& which) {
  const auto m = model.features().position.method;
  const bool has_input = m == models::PositionMethod::kFeature || m == models::PositionMethod::kTower;
  if (which.empty() || which == "both") {
    if (has_input) return {"zeroed", "logged"};
    return {"zeroed"};
  }
  RECO_CHECK(which == "zeroed" || which == "logged")
      << "--position '" << which << "': expected zeroed, logged or both";
  RECO_CHECK(which == "zeroed" || has_input)
      << "--position logged: the model has no position input (position.method = "
      << models::position_method_name(m) << ")";
  return {which};
}

/// NDCG@k (linear gain) per request of `groups`, rows ranked by `score`, gain = `gain` (>= 0).
inline nlohmann::json grouped_ndcg(std::span<const uint32_t> groups, std::span<const uint64_t> rows,
                                   std::span<const double> score, std::span<const double> gain,
                                   const std::vector<size_t>& ks) {
  std::vector<std::string> names;
  for (size_t k : ks) {
    RECO_CHECK(k >= 1) << "--k values must be >= 1";
    names.push_back(fmt::format("ndcg_linear@{}", k));
  }
  eval::MetricSet set(names);
  for (size_t i = 0; i < rows.size(); ++i) set.add_grouped(groups[rows[i]], score[i], std::max(0.0, gain[i]));
  return set.to_json();
}

/// The graded relevance of `rows` from `column` (any f32 column; NaN counts as 0).
inline std::vector<double> relevance_gain(const Dataset& ds, const std::string& column,
                                          std::span<const uint64_t> rows) {
  const ColumnInfo& c = ds.column(column);
  RECO_CHECK(c.storage == ColumnStorage::kF32) << ds.path() << ": --relevance column '" << column
                                               << "' must be a f32 column (e.g. true_relevance)";
  const auto v = ds.f32(column);
  std::vector<double> out(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) out[i] = std::isnan(v[rows[i]]) ? 0.0 : v[rows[i]];
  return out;
}

}  // namespace reco::cli
