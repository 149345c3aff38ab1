// CalibrationReport: how well one head's probabilities are calibrated on a set of rows.
//   brier             eval::Brier          sum w (p - y)^2 / sum w
//   log_loss          eval::LogLoss        weighted cross-entropy, p clipped to [1e-7, 1 - 1e-7]
//   calibration_ratio eval::CalibrationRatio  sum w p / sum w y  (1 = calibrated on average)
//   ece, mce          ReliabilityDiagram (reliability.h)
//   count             labelled rows; masked = rows with a NaN label (skipped everywhere)
//   positives         rows with label 1 (unweighted); positive_weight = sum w y
//   mean_prediction, base_rate: sum w p / sum w and sum w y / sum w
// Undefined values (no weight, no positives) are NaN here and null in JSON.
// The probabilities given are the ones judged: pass them after Calibrator::apply to report
// the calibrated head, before it to report the raw one.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "reco/calibrate/reliability.h"

namespace reco::calibrate {

struct CalibrationReport {
  std::string head;
  uint64_t count = 0;
  uint64_t masked = 0;
  uint64_t positives = 0;
  double positive_weight = 0.0;
  double weight = 0.0;
  double mean_prediction = 0.0;
  double base_rate = 0.0;
  double brier = 0.0;
  double log_loss = 0.0;
  double calibration_ratio = 0.0;
  double ece = 0.0;
  double mce = 0.0;
  ReliabilityDiagram diagram;

  /// {"head","count","masked","positives","positive_weight","weight","mean_prediction",
  ///  "base_rate","brier","log_loss","calibration_ratio","ece","mce","reliability":{...}}
  nlohmann::json to_json() const;
};

/// Labels in [0, 1] or NaN; predictions in [0, 1]; weights empty (= 1) or one per row.
CalibrationReport make_calibration_report(std::string head, std::span<const float> probs,
                                          std::span<const float> labels, std::span<const float> weights,
                                          const ReliabilityOptions& bins = {});

}  // namespace reco::calibrate
