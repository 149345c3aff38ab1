#include "reco/eval/calibration_ratio.h"

#include <limits>

#include "reco/eval/checks.h"

namespace reco::eval {

void CalibrationRatio::add(double prediction, double label, double weight) {
  if (is_masked(label)) {
    ++masked_;
    return;
  }
  check_unit_interval("calibration", "prediction", prediction);
  check_unit_interval("calibration", "label", label);
  check_weight("calibration", weight);
  predicted_.add(weight * prediction);
  observed_.add(weight * label);
  ++count_;
}

void CalibrationRatio::merge(const CalibrationRatio& other) {
  predicted_.merge(other.predicted_);
  observed_.merge(other.observed_);
  count_ += other.count_;
  masked_ += other.masked_;
}

double CalibrationRatio::value() const {
  const double observed = observed_.value();
  return observed > 0.0 ? predicted_.value() / observed : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace reco::eval
