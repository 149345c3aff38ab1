#include "reco/eval/accuracy.h"

#include <cmath>

#include "reco/core/error.h"
#include "reco/eval/checks.h"

namespace reco::eval {

Accuracy::Accuracy(double threshold) : threshold_(threshold) {
  RECO_CHECK(std::isfinite(threshold)) << "accuracy: threshold must be finite, got " << threshold;
}

void Accuracy::add(double prediction, double label, double weight) {
  if (is_masked(label)) {
    mean_.add_masked();
    return;
  }
  check_score("accuracy", prediction);
  check_binary_label("accuracy", label);
  check_weight("accuracy", weight);
  mean_.add(accuracy_term(prediction, label, threshold_), weight);
}

void Accuracy::merge(const Accuracy& other) {
  RECO_CHECK_EQ(threshold_, other.threshold_) << "accuracy: cannot merge accumulators with different thresholds";
  mean_.merge(other.mean_);
}

}  // namespace reco::eval
