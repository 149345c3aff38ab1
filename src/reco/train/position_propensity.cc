#include "reco/train/position_propensity.h"

#include "reco/calibrate/downsampling.h"
#include "reco/core/error.h"

namespace reco::train {

PropensityEstimate estimate_propensities(const Dataset& ds, const models::FeatureMap& features,
                                         std::span<const uint64_t> rows, double min_impressions) {
  const models::PositionBias& pos = features.position;
  RECO_CHECK(pos.enabled() && !pos.slice.empty()) << "propensities need position.column and position.slice";
  const models::PositionColumn column(ds, pos.column);
  const auto& slice_info = ds.column(pos.slice);
  RECO_CHECK(slice_info.storage == ColumnStorage::kF32 || slice_info.storage == ColumnStorage::kU32)
      << ds.path() << ": position.slice column '" << pos.slice << "' must be f32 or u32 (nonzero = unbiased row)";
  std::span<const float> slice_f;
  std::span<const uint32_t> slice_u;
  if (slice_info.storage == ColumnStorage::kF32) {
    slice_f = ds.f32(pos.slice);
  } else {
    slice_u = ds.u32(pos.slice);
  }
  const size_t ids = static_cast<size_t>(pos.max_position) + 1;
  const size_t nt = features.tasks.size();
  PropensityEstimate est;
  est.impressions.assign(ids, 0.0);
  std::vector<std::vector<double>> positives(nt, std::vector<double>(ids, 0.0));
  std::vector<std::vector<double>> seen(nt, std::vector<double>(ids, 0.0));
  std::vector<double> neg_weight(nt);
  std::vector<std::span<const float>> labels(nt);
  for (size_t t = 0; t < nt; ++t) {
    labels[t] = ds.f32(features.tasks[t].label);
    neg_weight[t] = 1.0 / calibrate::downsampling_alpha(ds, features.tasks[t].label);
  }
  for (uint64_t r : rows) {
    const bool in_slice = !slice_f.empty() ? slice_f[r] != 0.0f : slice_u[r] != 0u;
    if (!in_slice) continue;
    const uint32_t id = column.id(r, pos.max_position);
    if (id == 0) continue;
    ++est.slice_rows;
    est.impressions[id] += 1.0;
    for (size_t t = 0; t < nt; ++t) {
      const float y = labels[t][r];
      if (y != y) continue;  // missing label
      if (y > 0.5f) {
        positives[t][id] += 1.0;
        seen[t][id] += 1.0;
      } else {
        seen[t][id] += neg_weight[t];
      }
    }
  }
  RECO_CHECK(est.impressions.size() > 1 && est.impressions[1] >= min_impressions)
      << ds.path() << ": the unbiased slice ('" << pos.slice << "' nonzero) has " << est.impressions[1]
      << " training rows at position 1; at least " << min_impressions << " are needed to estimate propensities";
  est.theta.assign(nt, std::vector<float>(ids, 1.0f));
  for (size_t t = 0; t < nt; ++t) {
    const double top = seen[t][1] > 0 ? positives[t][1] / seen[t][1] : 0.0;
    RECO_CHECK(top > 0.0) << ds.path() << ": task '" << features.tasks[t].name
                          << "' has no positive at position 1 in the unbiased slice: cannot estimate propensities";
    for (size_t p = 2; p < ids; ++p) {
      if (est.impressions[p] < min_impressions || seen[t][p] <= 0.0) {
        est.theta[t][p] = est.theta[t][p - 1];
        continue;
      }
      est.theta[t][p] = static_cast<float>((positives[t][p] / seen[t][p]) / top);
    }
  }
  return est;
}

nlohmann::json PropensityEstimate::to_json(const models::FeatureMap& features) const {
  nlohmann::json per_task = nlohmann::json::object();
  for (size_t t = 0; t < theta.size(); ++t) per_task[features.tasks[t].name] = theta[t];
  return {{"slice_rows", slice_rows}, {"impressions", impressions}, {"theta", per_task}};
}

}  // namespace reco::train
