#include "reco/eval/checks.h"

#include "reco/core/error.h"

namespace reco::eval {

void check_score(const char* metric, double score) {
  RECO_CHECK(std::isfinite(score)) << metric << ": prediction must be finite, got " << score;
}

void check_weight(const char* metric, double weight) {
  RECO_CHECK(std::isfinite(weight) && weight >= 0.0)
      << metric << ": sample weight must be finite and >= 0, got " << weight;
}

void check_binary_label(const char* metric, double label) {
  RECO_CHECK(label == 0.0 || label == 1.0)
      << metric << ": label must be 0 or 1 (NaN masks the row), got " << label;
}

void check_unit_interval(const char* metric, const char* what, double value) {
  RECO_CHECK(value >= 0.0 && value <= 1.0) << metric << ": " << what << " must lie in [0, 1], got " << value;
}

void check_finite_label(const char* metric, double label) {
  RECO_CHECK(std::isfinite(label)) << metric << ": label must be finite (NaN masks the row), got " << label;
}

}  // namespace reco::eval
