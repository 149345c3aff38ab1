// Calibrator: what a model bundle stores per head to turn a raw head probability into a
// calibrated one. Applied in two stages:
//   1. downsampling correction (downsampling.h): p1 = q / (q + (1 - q) / alpha)   (skipped
//      when alpha == 1);
//   2. post-hoc map by kind: none -> p1; platt -> sigmoid(a * logit(p1) + b) (fitted with
//      on_logit = true, so a = 1, b = 0 is the identity); isotonic -> the isotonic map of p1.
// The result is clamped to [0, 1] and returned as float.
// JSON (stable, what a bundle writes):
//   {"kind":"none"|"platt"|"isotonic", "alpha":a, "platt":{...}, "isotonic":{...}}
//   with "platt" only for kind platt and "isotonic" only for kind isotonic (see platt.h,
//   isotonic.h for their fields).
//
// fit_calibrator(kind, probs, labels, weights, alpha): probs are the raw (uncorrected) head
// outputs on a validation split, alpha the head's downsampling rate. The map of stage 2 is
// fitted on the corrected p1. When the validation rows were downsampled like the training
// rows (options.validation_downsampled, the default: ingest downsamples before splitting, so
// every split of a dataset carries the same alpha), each negative's weight is multiplied by
// 1 / alpha so the fit targets the original, non-downsampled distribution (importance
// weighting: in expectation a kept negative stands for 1 / alpha negatives). Set it false
// when the labels come from a split that was not downsampled: take it from the dataset with
// part_downsampled(ds, "validation") (downsampling.h); engagement-sample datasets downsample
// the train part only, so their validation split needs false.
// Value type; copyable; apply() is const and thread-safe.
#pragma once

#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

#include "reco/calibrate/isotonic.h"
#include "reco/calibrate/platt.h"

namespace reco::calibrate {

enum class CalibratorKind { kNone, kPlatt, kIsotonic };

std::string_view calibrator_kind_name(CalibratorKind kind);
/// "none" | "platt" | "isotonic"; throws kInvalidArgument listing them otherwise.
CalibratorKind parse_calibrator_kind(std::string_view name);

struct Calibrator {
  CalibratorKind kind = CalibratorKind::kNone;
  double alpha = 1.0;         ///< negative downsampling rate in (0, 1], applied first
  PlattScaling platt;         ///< used when kind == kPlatt
  IsotonicRegression isotonic;  ///< used when kind == kIsotonic

  /// p in [0, 1] (checked) -> calibrated probability in [0, 1].
  float apply(float p) const;
  void apply(std::span<float> probs) const;

  nlohmann::json to_json() const;
  /// Throws kParse naming the field (unknown kind, bad alpha, missing fitted params).
  static Calibrator from_json(const nlohmann::json& j);
};

struct CalibratorFitOptions {
  bool validation_downsampled = true;  ///< reweight negatives by 1 / alpha (see above)
  PlattOptions platt;                  ///< on_logit is forced true (inputs are probabilities)
  IsotonicInterpolation isotonic = IsotonicInterpolation::kCentres;
};

/// Labels: NaN = skipped; 0/1 (platt) or [0, 1] (isotonic). weights empty = all 1.
Calibrator fit_calibrator(CalibratorKind kind, std::span<const float> probs, std::span<const float> labels,
                          std::span<const float> weights, double alpha, const CalibratorFitOptions& options = {});

}  // namespace reco::calibrate
