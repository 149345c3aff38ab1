// HeadScoring — what turns a model's raw head outputs into the numbers a ranker uses,
// without retraining: per head a calibrate::Calibrator (negative-downsampling correction
// with the head's alpha, then an optional Platt / isotonic map fitted on validation rows),
// and the utility
//
//     utility(row) = sum_t w_t * p_t(row)     over the calibrated heads p_t,
//
// whose weights w_t are stored with the model and can be overridden per call (a product
// decision, not a training one: seed 000/001). Ranking by utility is invariant to scaling
// all weights by c > 0 (tested).
//
// Stored in the model file's meta as "scoring":
//   {"heads": [{"name": task, "weight": w, "calibrator": Calibrator JSON}, ...]}
// Models written before it get identity(): alpha 1, no map, weight 1 per head.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/calibrate/calibrator.h"
#include "reco/models/feature_map.h"

namespace reco::models {

struct HeadScoring {
  std::vector<std::string> heads;                   ///< task names, model output order
  std::vector<calibrate::Calibrator> calibrators;   ///< one per head
  std::vector<double> weights;                      ///< utility weights, one per head

  static HeadScoring identity(const FeatureMap& features);
  nlohmann::json to_json() const;
  /// Checks the heads match `features`' tasks (kCorrupt naming the difference).
  static HeadScoring from_json(const nlohmann::json& j, const FeatureMap& features);

  /// Calibrates predictions [n * T] row-major in place.
  void calibrate(std::span<float> predictions) const;
  /// sum_t weights[t] * row[t] for one row of T calibrated heads.
  static double utility(const float* row, std::span<const double> weights);

  /// Weights from text: "click=1,save=0.5" (names; heads not named get 0) or "1,0.5" (one
  /// number per head, in order). Throws kInvalidArgument naming the bad entry and the heads.
  std::vector<double> parse_weights(std::string_view text) const;
};

}  // namespace reco::models
