// Box-constrained quasi-Newton minimizer (projected L-BFGS with an Armijo backtracking
// line search along the projected path). Used to fit GP hyperparameters (minimize the
// negative log marginal likelihood) and to maximize acquisition functions.
//
// It is a careful, small method rather than full L-BFGS-B: the search direction is the
// two-loop L-BFGS direction with components that push an active bound out of the step;
// the trial point is projected onto the box; the memory is reset whenever the direction
// is not a descent direction. Good enough for the smooth, low-dimensional (< ~25 variables)
// problems here.
#pragma once

#include <functional>

#include <Eigen/Core>

namespace reco::tuning {

/// f(x, grad) returns the objective and writes its gradient into grad (same size as x).
using Objective = std::function<double(const Eigen::VectorXd& x, Eigen::VectorXd& grad)>;

struct BoxMinimizerOptions {
  int max_iterations = 200;
  int memory = 8;
  double gradient_tolerance = 1e-6;  // on the projected gradient's max-norm
  double value_tolerance = 1e-10;    // relative decrease that stops the search
};

struct BoxMinimizerResult {
  Eigen::VectorXd x;
  double value = 0.0;
  int iterations = 0;
  int evaluations = 0;
};

/// Minimizes f over lower <= x <= upper from x0 (projected into the box first).
/// A non-finite value is treated as +infinity by the line search.
BoxMinimizerResult minimize_in_box(const Objective& f, Eigen::VectorXd x0, const Eigen::VectorXd& lower,
                                   const Eigen::VectorXd& upper, const BoxMinimizerOptions& options = {});

}  // namespace reco::tuning
