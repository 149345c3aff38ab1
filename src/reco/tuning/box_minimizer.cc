#include "reco/tuning/box_minimizer.h"

#include <cmath>
#include <deque>
#include <limits>

#include "reco/core/error.h"

namespace reco::tuning {

namespace {
Eigen::VectorXd project(Eigen::VectorXd x, const Eigen::VectorXd& lo, const Eigen::VectorXd& hi) {
  return x.cwiseMax(lo).cwiseMin(hi);
}

// Max-norm of the projected gradient: components that would leave the box count as zero.
double projected_gradient_norm(const Eigen::VectorXd& x, const Eigen::VectorXd& g, const Eigen::VectorXd& lo,
                               const Eigen::VectorXd& hi) {
  double norm = 0.0;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    if ((x[i] <= lo[i] && g[i] > 0) || (x[i] >= hi[i] && g[i] < 0)) continue;
    norm = std::max(norm, std::abs(g[i]));
  }
  return norm;
}
}  // namespace

BoxMinimizerResult minimize_in_box(const Objective& f, Eigen::VectorXd x0, const Eigen::VectorXd& lower,
                                   const Eigen::VectorXd& upper, const BoxMinimizerOptions& options) {
  const Eigen::Index n = x0.size();
  RECO_CHECK(lower.size() == n && upper.size() == n) << "minimize_in_box: bounds size differs from x0";
  RECO_CHECK((lower.array() <= upper.array()).all()) << "minimize_in_box: a lower bound exceeds its upper bound";
  BoxMinimizerResult r;
  Eigen::VectorXd x = project(std::move(x0), lower, upper);
  Eigen::VectorXd g(n);
  double fx = f(x, g);
  r.evaluations = 1;
  if (!std::isfinite(fx)) {
    r.x = x;
    r.value = std::numeric_limits<double>::infinity();
    return r;
  }
  std::deque<Eigen::VectorXd> s_mem, y_mem;
  std::deque<double> rho_mem;
  Eigen::VectorXd g_new(n), x_new(n);
  for (int it = 0; it < options.max_iterations; ++it) {
    r.iterations = it + 1;
    if (projected_gradient_norm(x, g, lower, upper) < options.gradient_tolerance) break;
    // Two-loop recursion.
    Eigen::VectorXd q = g;
    std::vector<double> alpha(s_mem.size());
    for (int k = static_cast<int>(s_mem.size()) - 1; k >= 0; --k) {
      alpha[k] = rho_mem[k] * s_mem[k].dot(q);
      q -= alpha[k] * y_mem[k];
    }
    if (!s_mem.empty()) q *= s_mem.back().dot(y_mem.back()) / y_mem.back().squaredNorm();
    for (size_t k = 0; k < s_mem.size(); ++k) {
      const double beta = rho_mem[k] * y_mem[k].dot(q);
      q += (alpha[k] - beta) * s_mem[k];
    }
    Eigen::VectorXd d = -q;
    // Freeze components at an active bound that the step would push outward.
    for (Eigen::Index i = 0; i < n; ++i)
      if ((x[i] <= lower[i] && d[i] < 0) || (x[i] >= upper[i] && d[i] > 0)) d[i] = 0;
    if (d.dot(g) >= 0) {  // not a descent direction: restart from steepest descent
      s_mem.clear(), y_mem.clear(), rho_mem.clear();
      d = -g;
      for (Eigen::Index i = 0; i < n; ++i)
        if ((x[i] <= lower[i] && d[i] < 0) || (x[i] >= upper[i] && d[i] > 0)) d[i] = 0;
      if (d.squaredNorm() == 0) break;
    }
    // First iteration without memory: a step of unit max-norm relative to the box.
    double t = 1.0;
    if (s_mem.empty()) {
      const double span = (upper - lower).maxCoeff();
      const double dmax = d.cwiseAbs().maxCoeff();
      if (dmax > 0 && std::isfinite(span) && span > 0) t = std::min(1.0, 0.25 * span / dmax);
    }
    bool accepted = false;
    double f_new = 0.0;
    for (int ls = 0; ls < 40; ++ls) {
      x_new = project(x + t * d, lower, upper);
      f_new = f(x_new, g_new);
      ++r.evaluations;
      if (std::isfinite(f_new) && f_new <= fx + 1e-4 * g.dot(x_new - x)) {
        accepted = true;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) break;
    const Eigen::VectorXd s = x_new - x;
    const Eigen::VectorXd y = g_new - g;
    const double sy = s.dot(y);
    const double decrease = fx - f_new;
    x = x_new;
    g = g_new;
    const double f_old = fx;
    fx = f_new;
    if (sy > 1e-12 * s.norm() * y.norm() && sy > 0) {
      s_mem.push_back(s), y_mem.push_back(y), rho_mem.push_back(1.0 / sy);
      if (static_cast<int>(s_mem.size()) > options.memory) s_mem.pop_front(), y_mem.pop_front(), rho_mem.pop_front();
    }
    if (decrease <= options.value_tolerance * std::max({1.0, std::abs(f_old), std::abs(fx)})) break;
  }
  r.x = x;
  r.value = fx;
  return r;
}

}  // namespace reco::tuning
