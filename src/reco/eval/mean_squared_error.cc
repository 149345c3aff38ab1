#include "reco/eval/mean_squared_error.h"

#include "reco/eval/checks.h"

namespace reco::eval {

void MeanSquaredError::add(double prediction, double label, double weight) {
  if (is_masked(label)) {
    mean_.add_masked();
    return;
  }
  check_score("mse", prediction);
  check_finite_label("mse", label);
  check_weight("mse", weight);
  const double d = prediction - label;
  mean_.add(d * d, weight);
}

}  // namespace reco::eval
