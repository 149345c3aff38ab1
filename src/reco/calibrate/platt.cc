#include "reco/calibrate/platt.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "reco/core/error.h"
#include "reco/eval/checks.h"

namespace reco::calibrate {
namespace {

double sigmoid(double f) {
  if (f >= 0.0) return 1.0 / (1.0 + std::exp(-f));
  const double e = std::exp(f);
  return e / (1.0 + e);
}

// log(1 + e^f) without overflow.
double softplus(double f) { return f > 0.0 ? f + std::log1p(std::exp(-f)) : std::log1p(std::exp(f)); }

double loss_only(std::span<const double> x, std::span<const double> t, std::span<const double> w, double a,
                 double b) {
  double loss = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double f = a * x[i] + b;
    loss += (w.empty() ? 1.0 : w[i]) * (softplus(f) - t[i] * f);
  }
  return loss;
}

double finite_number(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number() || !std::isfinite(it->get<double>())) {
    RECO_THROW(ErrorCode::kParse) << "platt calibrator: field '" << key << "' must be a finite number";
  }
  return it->get<double>();
}

}  // namespace

double platt_input(double z, bool on_logit) {
  if (!on_logit) return z;
  const double p = std::clamp(z, kPlattProbEps, 1.0 - kPlattProbEps);
  return std::log(p) - std::log1p(-p);
}

double PlattScaling::apply(double z) const { return sigmoid(a * platt_input(z, on_logit) + b); }

nlohmann::json PlattScaling::to_json() const {
  return {{"a", a}, {"b", b}, {"on_logit", on_logit}, {"iterations", iterations}, {"converged", converged}};
}

PlattScaling PlattScaling::from_json(const nlohmann::json& j) {
  RECO_CHECK_CODE(j.is_object(), ErrorCode::kParse) << "platt calibrator must be a JSON object";
  PlattScaling s;
  s.a = finite_number(j, "a");
  s.b = finite_number(j, "b");
  s.on_logit = j.value("on_logit", false);
  s.iterations = j.value("iterations", 0);
  s.converged = j.value("converged", true);
  return s;
}

PlattObjective platt_objective(std::span<const double> x, std::span<const double> t, std::span<const double> w,
                               double a, double b) {
  RECO_CHECK_EQ(x.size(), t.size()) << "platt_objective: inputs and targets";
  RECO_CHECK(w.empty() || w.size() == x.size()) << "platt_objective: weights must be empty or one per row";
  PlattObjective o;
  for (size_t i = 0; i < x.size(); ++i) {
    const double wi = w.empty() ? 1.0 : w[i];
    const double f = a * x[i] + b;
    const double p = sigmoid(f);
    const double r = wi * (p - t[i]);
    const double h = wi * p * (1.0 - p);
    o.loss += wi * (softplus(f) - t[i] * f);
    o.grad[0] += r * x[i];
    o.grad[1] += r;
    o.hess[0] += h * x[i] * x[i];
    o.hess[1] += h * x[i];
    o.hess[2] += h;
  }
  return o;
}

PlattScaling fit_platt(std::span<const float> scores, std::span<const float> labels, std::span<const float> weights,
                       const PlattOptions& options) {
  RECO_CHECK_EQ(scores.size(), labels.size()) << "fit_platt: scores and labels";
  RECO_CHECK(weights.empty() || weights.size() == scores.size())
      << "fit_platt: weights must be empty or one per row, got " << weights.size() << " for " << scores.size();
  RECO_CHECK(options.max_iterations > 0) << "fit_platt: max_iterations must be positive";
  std::vector<double> x, y, w;
  double pos = 0.0, neg = 0.0;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (eval::is_masked(labels[i])) continue;
    eval::check_binary_label("platt", labels[i]);
    eval::check_score("platt", scores[i]);
    const double wi = weights.empty() ? 1.0 : weights[i];
    eval::check_weight("platt", wi);
    x.push_back(platt_input(scores[i], options.on_logit));
    y.push_back(labels[i]);
    w.push_back(wi);
    (labels[i] > 0.5f ? pos : neg) += wi;
  }
  RECO_CHECK(pos > 0.0 && neg > 0.0) << "fit_platt: needs positive and negative rows with positive weight, got "
                                     << "positive weight " << pos << ", negative weight " << neg;
  const double hi = options.smooth_targets ? (pos + 1.0) / (pos + 2.0) : 1.0;
  const double lo = options.smooth_targets ? 1.0 / (neg + 2.0) : 0.0;
  std::vector<double> t(y.size());
  for (size_t i = 0; i < y.size(); ++i) t[i] = y[i] > 0.5 ? hi : lo;

  constexpr double kSigma = 1e-12;
  constexpr double kArmijo = 1e-4;
  constexpr double kDecrementTolerance = 1e-14;
  const double total = pos + neg;
  PlattScaling s;
  s.on_logit = options.on_logit;
  s.a = 0.0;
  s.b = std::log((pos + 1.0) / (neg + 1.0));
  s.converged = false;
  for (int it = 0; it < options.max_iterations; ++it) {
    const PlattObjective o = platt_objective(x, t, w, s.a, s.b);
    if (std::max(std::abs(o.grad[0]), std::abs(o.grad[1])) <= options.tolerance * total) {
      s.converged = true;
      break;
    }
    // Solve the 2x2 system (H + sigma I) d = -g.
    const double h00 = o.hess[0] + kSigma, h01 = o.hess[1], h11 = o.hess[2] + kSigma;
    const double det = h00 * h11 - h01 * h01;
    if (!(det > 0.0)) break;
    const double da = -(h11 * o.grad[0] - h01 * o.grad[1]) / det;
    const double db = -(-h01 * o.grad[0] + h00 * o.grad[1]) / det;
    const double slope = o.grad[0] * da + o.grad[1] * db;  // -(Newton decrement)^2 < 0
    s.iterations = it + 1;
    // -slope / 2 estimates L - min L. Once it is below the rounding of the loss sum, the
    // Armijo test compares noise: take the (tiny) full step and stop.
    if (-slope * 0.5 <= kDecrementTolerance * (std::abs(o.loss) + 1.0)) {
      s.a += da;
      s.b += db;
      s.converged = true;
      break;
    }
    double step = 1.0;
    bool moved = false;
    while (step >= options.min_step) {
      const double na = s.a + step * da, nb = s.b + step * db;
      if (loss_only(x, t, w, na, nb) <= o.loss + kArmijo * step * slope) {
        s.a = na;
        s.b = nb;
        moved = true;
        break;
      }
      step *= 0.5;
    }
    if (!moved) break;
  }
  return s;
}

}  // namespace reco::calibrate
