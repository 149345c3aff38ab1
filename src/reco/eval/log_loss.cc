#include "reco/eval/log_loss.h"

#include <algorithm>
#include <cmath>

#include "reco/eval/checks.h"

namespace reco::eval {

double log_loss_term(double prediction, double label) {
  const double q = std::clamp(prediction, kLogLossEps, 1.0 - kLogLossEps);
  // Written as two terms (not a branch on y) so soft labels work.
  return -(label * std::log(q) + (1.0 - label) * std::log1p(-q));
}

void LogLoss::add(double prediction, double label, double weight) {
  if (is_masked(label)) {
    mean_.add_masked();
    return;
  }
  check_unit_interval("logloss", "prediction", prediction);
  check_unit_interval("logloss", "label", label);
  check_weight("logloss", weight);
  mean_.add(log_loss_term(prediction, label), weight);
}

}  // namespace reco::eval
