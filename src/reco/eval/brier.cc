#include "reco/eval/brier.h"

#include "reco/eval/checks.h"

namespace reco::eval {

void Brier::add(double prediction, double label, double weight) {
  if (is_masked(label)) {
    mean_.add_masked();
    return;
  }
  check_unit_interval("brier", "prediction", prediction);
  check_unit_interval("brier", "label", label);
  check_weight("brier", weight);
  mean_.add(brier_term(prediction, label), weight);
}

}  // namespace reco::eval
