#include "reco/tuning/bayes_optimizer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "reco/tuning/acquisition.h"
#include "reco/tuning/box_minimizer.h"
#include "reco/tuning/sobol.h"

namespace reco::tuning {

namespace {
bool feasible(const Observation& o) {
  return std::all_of(o.constraints.begin(), o.constraints.end(), [](double s) { return s >= 0; });
}

// A nonzero Sobol shift seed derived from the run seed and a stream tag.
uint64_t sobol_seed(uint64_t seed, uint64_t stream) { return mix64(seed * 0x9E3779B97F4A7C15ull + stream) | 1u; }
}  // namespace

BayesOptimizer::BayesOptimizer(size_t dims, size_t n_constraints, BayesOptions options)
    : dims_(dims), n_constraints_(n_constraints), options_(options) {
  RECO_CHECK(dims >= 1 && dims <= Sobol::kMaxDims)
      << "Bayesian optimizer: dimensions must be in [1, " << Sobol::kMaxDims << "], got " << dims;
  initial_points_ = options_.initial_points ? options_.initial_points : std::max<size_t>(5, 2 * dims);
  warm_.assign(1 + n_constraints, std::nullopt);
}

std::optional<size_t> BayesOptimizer::best_feasible(const std::vector<Observation>& finished) {
  std::optional<size_t> best;
  for (size_t i = 0; i < finished.size(); ++i)
    if (feasible(finished[i]) && (!best || finished[i].value > finished[*best].value)) best = i;
  return best;
}

std::vector<std::vector<double>> BayesOptimizer::propose(const std::vector<Observation>& finished,
                                                         const std::vector<std::vector<double>>& pending, size_t q) {
  RECO_CHECK(q >= 1) << "Bayesian optimizer: batch size must be >= 1";
  for (const auto& o : finished) {
    RECO_CHECK(o.unit.size() == dims_) << "Bayesian optimizer: a trial has " << o.unit.size() << " coordinates, expected "
                                       << dims_;
    RECO_CHECK(o.constraints.size() == n_constraints_)
        << "Bayesian optimizer: a trial has " << o.constraints.size() << " constraint values, expected "
        << n_constraints_;
  }
  std::vector<std::vector<double>> result;
  const size_t existing = finished.size() + pending.size();
  Sobol design(dims_, sobol_seed(options_.seed, 0));
  design.skip(existing);
  // Too few finished trials to model: keep following the design.
  const size_t design_size = std::max(initial_points_, finished.size() < 2 ? existing + q : size_t{0});
  while (result.size() < q && existing + result.size() < design_size) result.push_back(design.next());
  if (result.size() == q) return result;

  // Fit one GP per outcome on the finished trials.
  const size_t n = finished.size();
  RowMatrix x(n, dims_);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < dims_; ++j) x(i, j) = finished[i].unit[j];
  models_.assign(1 + n_constraints_, GaussianProcess());
  for (size_t m = 0; m <= n_constraints_; ++m) {
    Eigen::VectorXd y(n);
    for (size_t i = 0; i < n; ++i) y[i] = m == 0 ? finished[i].value : finished[i].constraints[m - 1];
    GpHyperparameters h;
    if (warm_[m]) {
      h = *warm_[m];
    } else {
      h.lengthscales = Eigen::VectorXd::Constant(dims_, 0.5);
      h.signal_variance = 1.0;
      h.noise_variance = options_.noisy ? 1e-2 : 1e-6;
    }
    if (!options_.noisy) h.noise_variance = 1e-6;
    models_[m].set_data(x, y, h);
    GpFitOptions fo;
    fo.restarts = options_.gp_restarts;
    fo.fit_noise = options_.noisy;
    fo.seed = mix64(options_.seed + 7919 * n + m);
    models_[m].fit(fo);
    warm_[m] = models_[m].hyperparameters();
  }

  // Incumbent: best (posterior mean if noisy) value among feasible finished trials.
  bool have_incumbent = false;
  double incumbent = -std::numeric_limits<double>::infinity();
  for (const auto& o : finished) {
    if (!feasible(o)) continue;
    const double v = options_.noisy ? models_[0].predict(o.unit.data()).mean : o.value;
    incumbent = std::max(incumbent, v);
    have_incumbent = true;
  }

  auto fantasize = [&](const std::vector<double>& u) {
    for (auto& model : models_) model.append(u.data(), model.predict(u.data()).mean);
  };
  for (const auto& p : pending) fantasize(p);
  for (const auto& p : result) fantasize(p);
  while (result.size() < q) {
    result.push_back(maximize_acquisition(finished, incumbent, have_incumbent,
                                          sobol_seed(options_.seed, 1 + existing + result.size())));
    if (result.size() < q) fantasize(result.back());
  }
  return result;
}

std::vector<double> BayesOptimizer::maximize_acquisition(const std::vector<Observation>& finished, double incumbent,
                                                         bool have_incumbent, uint64_t round_seed) const {
  const size_t d = dims_;
  std::vector<double> dm(d), dv(d);
  // Acquisition value (maximized) and its gradient in unit-cube coordinates.
  auto acquisition = [&](const double* u, double* grad) {
    double total = 0.0;
    if (grad) std::fill(grad, grad + d, 0.0);
    for (size_t m = 0; m < models_.size(); ++m) {
      if (m == 0 && !have_incumbent) continue;
      const GpPrediction p = models_[m].predict(u, grad ? dm.data() : nullptr, grad ? dv.data() : nullptr);
      const double sd = std::sqrt(p.variance);
      double g_mean = 0.0, g_sd = 0.0;
      if (m == 0) {
        total += log_expected_improvement(p.mean, sd, incumbent, &g_mean, &g_sd);
      } else {
        const double z = p.mean / sd;
        double dz = 0.0;
        total += log_normal_cdf(z, &dz);
        g_mean = dz / sd;
        g_sd = -dz * z / sd;
      }
      if (grad)
        for (size_t i = 0; i < d; ++i) grad[i] += g_mean * dm[i] + g_sd * dv[i] / (2.0 * sd);
    }
    return total;
  };

  // Candidate starts: scrambled Sobol points plus perturbations of the best feasible trials.
  std::vector<std::vector<double>> candidates;
  Sobol sobol(d, round_seed);
  for (size_t i = 0; i < options_.raw_samples; ++i) candidates.push_back(sobol.next());
  std::vector<size_t> order(finished.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const bool fa = feasible(finished[a]), fb = feasible(finished[b]);
    if (fa != fb) return fa;
    return finished[a].value > finished[b].value;
  });
  Rng rng(round_seed);
  for (size_t r = 0; r < std::min<size_t>(order.size(), 5); ++r)
    for (double scale : {0.01, 0.05, 0.2})
      for (int k = 0; k < 20; ++k) {
        std::vector<double> c = finished[order[r]].unit;
        for (auto& v : c) v = std::clamp(v + scale * rng.normal(), 0.0, 1.0);
        candidates.push_back(std::move(c));
      }
  std::vector<std::pair<double, size_t>> scored;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const double v = acquisition(candidates[i].data(), nullptr);
    scored.emplace_back(std::isfinite(v) ? v : -std::numeric_limits<double>::infinity(), i);
  }
  const size_t starts = std::min(options_.local_starts, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + starts, scored.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first; });

  const Objective negative = [&](const Eigen::VectorXd& u, Eigen::VectorXd& grad) {
    const double v = acquisition(u.data(), grad.data());
    grad = -grad;
    return std::isfinite(v) ? -v : std::numeric_limits<double>::infinity();
  };
  const Eigen::VectorXd lo = Eigen::VectorXd::Zero(d), hi = Eigen::VectorXd::Ones(d);
  BoxMinimizerOptions mo;
  mo.max_iterations = 60;
  double best_value = scored.front().first;
  std::vector<double> best = candidates[scored.front().second];
  for (size_t s = 0; s < starts; ++s) {
    const auto& c = candidates[scored[s].second];
    const BoxMinimizerResult r = minimize_in_box(negative, Eigen::Map<const Eigen::VectorXd>(c.data(), d), lo, hi, mo);
    if (-r.value > best_value) {
      best_value = -r.value;
      best.assign(r.x.data(), r.x.data() + d);
    }
  }
  return best;
}

}  // namespace reco::tuning
