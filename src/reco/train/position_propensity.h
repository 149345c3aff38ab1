// Position propensities for inverse propensity weighting (models/position_bias.h, method "ipw").
//
// On the unbiased slice (rows whose `slice` column is nonzero: random-traffic requests, where the
// item at a position is independent of its relevance) the engagement rate at position p is
// θ(p) · E[relevance term], so rate_t(p) / rate_t(1) estimates task t's examination propensity
// relative to the top slot. Negatives are weighted 1/α_t when the training part was negatively
// downsampled (calibrate/downsampling.h), so the rates are those of the full log.
// Positions with fewer than `min_impressions` slice rows inherit the previous position's θ (a
// noisy ratio would become a huge weight); θ(0) = 1 (no position: no reweighting).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/data/dataset.h"
#include "reco/models/feature_map.h"

namespace reco::train {

struct PropensityEstimate {
  std::vector<std::vector<float>> theta;        ///< [T][max_position + 1]
  std::vector<double> impressions;              ///< slice rows per position id (weighted)
  uint64_t slice_rows = 0;
  nlohmann::json to_json(const models::FeatureMap& features) const;
};

PropensityEstimate estimate_propensities(const Dataset& dataset, const models::FeatureMap& features,
                                         std::span<const uint64_t> rows, double min_impressions = 100.0);

}  // namespace reco::train
