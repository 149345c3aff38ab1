#include "reco/calibrate/calibrator.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "reco/calibrate/downsampling.h"
#include "reco/core/error.h"
#include "reco/data/downsample.h"
#include "reco/eval/checks.h"

namespace reco::calibrate {

std::string_view calibrator_kind_name(CalibratorKind kind) {
  switch (kind) {
    case CalibratorKind::kNone: return "none";
    case CalibratorKind::kPlatt: return "platt";
    case CalibratorKind::kIsotonic: return "isotonic";
  }
  return "none";
}

CalibratorKind parse_calibrator_kind(std::string_view name) {
  if (name == "none") return CalibratorKind::kNone;
  if (name == "platt") return CalibratorKind::kPlatt;
  if (name == "isotonic") return CalibratorKind::kIsotonic;
  RECO_THROW(ErrorCode::kInvalidArgument) << "calibrator kind must be one of none, platt, isotonic; got '" << name
                                          << "'";
}

float Calibrator::apply(float p) const {
  RECO_CHECK(p >= 0.0f && p <= 1.0f) << "calibrator: probability must be in [0, 1], got " << p;
  double q = alpha < 1.0 ? calibrate_downsampled(p, alpha) : static_cast<double>(p);
  switch (kind) {
    case CalibratorKind::kNone: break;
    case CalibratorKind::kPlatt: q = platt.apply(q); break;
    case CalibratorKind::kIsotonic: q = isotonic.predict(q); break;
  }
  return static_cast<float>(std::clamp(q, 0.0, 1.0));
}

void Calibrator::apply(std::span<float> probs) const {
  for (float& p : probs) p = apply(p);
}

nlohmann::json Calibrator::to_json() const {
  nlohmann::json j = {{"kind", calibrator_kind_name(kind)}, {"alpha", alpha}};
  if (kind == CalibratorKind::kPlatt) j["platt"] = platt.to_json();
  if (kind == CalibratorKind::kIsotonic) j["isotonic"] = isotonic.to_json();
  return j;
}

Calibrator Calibrator::from_json(const nlohmann::json& j) {
  RECO_CHECK_CODE(j.is_object(), ErrorCode::kParse) << "calibrator must be a JSON object, got " << j.dump();
  Calibrator c;
  const auto kind = j.find("kind");
  RECO_CHECK_CODE(kind != j.end() && kind->is_string(), ErrorCode::kParse)
      << "calibrator: field 'kind' must be a string (none, platt, isotonic)";
  try {
    c.kind = parse_calibrator_kind(kind->get<std::string>());
  } catch (const Error& e) {
    RECO_THROW(ErrorCode::kParse) << "calibrator: " << e.message();
  }
  if (const auto a = j.find("alpha"); a != j.end()) {
    RECO_CHECK_CODE(a->is_number() && a->get<double>() > 0.0 && a->get<double>() <= 1.0, ErrorCode::kParse)
        << "calibrator: field 'alpha' must be a number in (0, 1], got " << a->dump();
    c.alpha = a->get<double>();
  }
  if (c.kind == CalibratorKind::kPlatt) {
    RECO_CHECK_CODE(j.contains("platt"), ErrorCode::kParse) << "calibrator of kind platt lacks field 'platt'";
    c.platt = PlattScaling::from_json(j["platt"]);
  } else if (c.kind == CalibratorKind::kIsotonic) {
    RECO_CHECK_CODE(j.contains("isotonic"), ErrorCode::kParse) << "calibrator of kind isotonic lacks field 'isotonic'";
    c.isotonic = IsotonicRegression::from_json(j["isotonic"]);
    RECO_CHECK_CODE(!c.isotonic.empty(), ErrorCode::kParse) << "calibrator: isotonic map has no breakpoints";
  }
  return c;
}

Calibrator fit_calibrator(CalibratorKind kind, std::span<const float> probs, std::span<const float> labels,
                          std::span<const float> weights, double alpha, const CalibratorFitOptions& options) {
  check_downsample_alpha(alpha);
  RECO_CHECK_EQ(probs.size(), labels.size()) << "fit_calibrator: probabilities and labels";
  RECO_CHECK(weights.empty() || weights.size() == probs.size())
      << "fit_calibrator: weights must be empty or one per row, got " << weights.size() << " for " << probs.size();
  Calibrator c;
  c.kind = kind;
  c.alpha = alpha;
  if (kind == CalibratorKind::kNone) return c;

  std::vector<float> corrected(probs.begin(), probs.end());
  correct_downsampled(corrected, alpha);
  std::vector<float> w;
  if (alpha < 1.0 && options.validation_downsampled) {
    w.resize(probs.size());
    for (size_t i = 0; i < probs.size(); ++i) {
      const float wi = weights.empty() ? 1.0f : weights[i];
      // NaN labels stay NaN (skipped by the fits); only labelled negatives are reweighted.
      w[i] = labels[i] == 0.0f ? static_cast<float>(wi / alpha) : wi;
    }
  } else if (!weights.empty()) {
    w.assign(weights.begin(), weights.end());
  }
  if (kind == CalibratorKind::kPlatt) {
    PlattOptions po = options.platt;
    po.on_logit = true;
    c.platt = fit_platt(corrected, labels, w, po);
  } else {
    c.isotonic = fit_isotonic(corrected, labels, w, options.isotonic);
  }
  return c;
}

}  // namespace reco::calibrate
