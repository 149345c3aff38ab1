#include "reco/calibrate/calibration_report.h"

#include <limits>

#include "reco/core/error.h"
#include "reco/eval/brier.h"
#include "reco/eval/calibration_ratio.h"
#include "reco/eval/checks.h"
#include "reco/eval/log_loss.h"

namespace reco::calibrate {

nlohmann::json CalibrationReport::to_json() const {
  return {{"head", head},
          {"count", count},
          {"masked", masked},
          {"positives", positives},
          {"positive_weight", positive_weight},
          {"weight", weight},
          {"mean_prediction", json_number(mean_prediction)},
          {"base_rate", json_number(base_rate)},
          {"brier", json_number(brier)},
          {"log_loss", json_number(log_loss)},
          {"calibration_ratio", json_number(calibration_ratio)},
          {"ece", json_number(ece)},
          {"mce", json_number(mce)},
          {"reliability", diagram.to_json()}};
}

CalibrationReport make_calibration_report(std::string head, std::span<const float> probs,
                                          std::span<const float> labels, std::span<const float> weights,
                                          const ReliabilityOptions& bins) {
  // The diagram validates sizes and values first, so the accumulators below see clean rows.
  CalibrationReport r;
  r.head = std::move(head);
  r.diagram = ReliabilityDiagram::build(probs, labels, weights, bins);
  eval::Brier brier;
  eval::LogLoss log_loss;
  eval::CalibrationRatio ratio;
  eval::WeightedMean mean_prediction;
  for (size_t i = 0; i < probs.size(); ++i) {
    const double w = weights.empty() ? 1.0 : weights[i];
    brier.add(probs[i], labels[i], w);
    log_loss.add(probs[i], labels[i], w);
    ratio.add(probs[i], labels[i], w);
    if (eval::is_masked(labels[i])) continue;
    mean_prediction.add(probs[i], w);
    r.positive_weight += w * labels[i];
    if (labels[i] == 1.0f) ++r.positives;
  }
  r.count = brier.count();
  r.masked = brier.masked();
  r.weight = mean_prediction.weight_sum();
  r.mean_prediction = mean_prediction.value();
  r.base_rate = r.weight > 0.0 ? r.positive_weight / r.weight : std::numeric_limits<double>::quiet_NaN();
  r.brier = brier.value();
  r.log_loss = log_loss.value();
  r.calibration_ratio = ratio.value();
  r.ece = r.diagram.expected_calibration_error();
  r.mce = r.diagram.max_calibration_error();
  return r;
}

}  // namespace reco::calibrate
