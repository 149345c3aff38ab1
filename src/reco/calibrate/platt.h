// Platt scaling: a two-parameter logistic map from a score to a calibrated probability,
//     p = sigmoid(a * x + b),   x = z            (on_logit = false: z is a logit or any score)
//                               x = logit(z')    (on_logit = true: z is a probability, clipped
//                                                  to z' in [kPlattProbEps, 1 - kPlattProbEps])
// Fitted (Platt 1999; Lin, Lin & Weng 2007) by minimizing the weighted log loss
//     L(a, b) = sum_i w_i * [ softplus(f_i) - t_i * f_i ],   f_i = a * x_i + b
// whose derivatives (platt_objective) are
//     dL/da = sum w (p - t) x,        dL/db = sum w (p - t)
//     H     = sum w p (1 - p) [x^2  x; x  1]
// Targets t_i: the labels y_i in {0, 1}, or with smooth_targets (Platt's prior-based
// correction against overfitting, on by default)
//     t = (N+ + 1) / (N+ + 2) for positives,   t = 1 / (N- + 2) for negatives,
// where N+ / N- are the positive / negative WEIGHT sums (the counts when unweighted).
// Solver: Newton steps d = -(H + sigma I)^-1 g (sigma = 1e-12, keeps H invertible), with
// step halving until the Armijo condition L(theta + s d) <= L + 1e-4 s g.d holds; starts
// at a = 0, b = log((N+ + 1) / (N- + 1)); converged when max|g| <= tolerance * sum w or when
// the Newton decrement g.H^-1.g / 2 (the predicted loss reduction) is <= 1e-14 (|L| + 1),
// i.e. below the rounding of the loss sum, where the Armijo test would only compare noise
// (that last full step is taken); gives up when the step falls under min_step or after
// max_iterations. Separable data without smoothing has
// no finite optimum: a grows until a stop criterion fires (converged = false then).
// Rows: a NaN label is skipped; labels must be 0 or 1; weights finite and >= 0 (empty
// weights = all 1); scores finite. Needs both classes with positive weight.
#pragma once

#include <cstdint>
#include <span>

#include <nlohmann/json.hpp>

namespace reco::calibrate {

/// Probabilities are clipped to [eps, 1 - eps] before the logit (as eval::LogLoss clips).
inline constexpr double kPlattProbEps = 1e-7;

struct PlattOptions {
  bool smooth_targets = true;  ///< Platt's (N+ + 1)/(N+ + 2), 1/(N- + 2) targets
  bool on_logit = false;       ///< the scores are probabilities: fit on logit(p)
  int max_iterations = 100;
  double tolerance = 1e-10;  ///< on max|gradient| / sum of weights
  double min_step = 1e-10;   ///< smallest step-halving factor before giving up
};

/// The fitted map. Value type; copyable.
struct PlattScaling {
  double a = 1.0;
  double b = 0.0;
  bool on_logit = false;  ///< apply() takes a probability and maps logit(p)
  int iterations = 0;     ///< Newton iterations used by the fit (informational)
  bool converged = true;  ///< the gradient criterion was met (informational)

  double apply(double z) const;
  nlohmann::json to_json() const;
  /// Throws kParse naming the field when a, b are missing or not finite numbers.
  static PlattScaling from_json(const nlohmann::json& j);
};

/// Loss, gradient and Hessian of L(a, b) above at (a, b), over pre-transformed inputs x
/// and targets t (weights may be empty = all 1). Pure; used by the solver and the tests.
struct PlattObjective {
  double loss = 0.0;
  double grad[2] = {0.0, 0.0};              ///< dL/da, dL/db
  double hess[3] = {0.0, 0.0, 0.0};         ///< d2L/da2, d2L/dadb, d2L/db2
};
PlattObjective platt_objective(std::span<const double> x, std::span<const double> t, std::span<const double> w,
                               double a, double b);

/// x = on_logit ? logit(clip(z)) : z.
double platt_input(double z, bool on_logit);

PlattScaling fit_platt(std::span<const float> scores, std::span<const float> labels, std::span<const float> weights,
                       const PlattOptions& options = {});

}  // namespace reco::calibrate
