#include "reco/tuning/gaussian_process.h"

#include <cmath>
#include <limits>

#include <Eigen/Cholesky>

#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "reco/tuning/box_minimizer.h"
#include "reco/tuning/matern52.h"

namespace reco::tuning {

namespace {
constexpr double kLog2Pi = 1.8378770664093454835606594728112;

// Weak Gaussian priors on the log hyperparameters (standardized-output units): lengthscales
// around half the unit cube, signal variance around 1, noise small but free to grow.
constexpr double kPriorLogLengthMean = -0.6931471805599453;  // log 0.5
constexpr double kPriorLogLengthSd = 1.5;
constexpr double kPriorLogSignalMean = 0.0;
constexpr double kPriorLogSignalSd = 2.0;
constexpr double kPriorLogNoiseMean = -6.907755278982137;  // log 1e-3
constexpr double kPriorLogNoiseSd = 3.0;

// log N(v; mean, sd^2) up to a constant, and its derivative.
double log_prior(double v, double mean, double sd, double* grad) {
  const double z = (v - mean) / sd;
  *grad = -z / sd;
  return -0.5 * z * z;
}

// Kernel matrix K + noise I for inputs x (n x d) at the given lengthscales.
Eigen::MatrixXd kernel_matrix(const RowMatrix& x, const Eigen::VectorXd& inv_l2, double s2, double noise) {
  const Eigen::Index n = x.rows();
  const size_t d = static_cast<size_t>(x.cols());
  Eigen::MatrixXd k(n, n);
  for (Eigen::Index a = 0; a < n; ++a) {
    k(a, a) = s2 + noise;
    for (Eigen::Index b = 0; b < a; ++b) {
      const double r2 = matern52::scaled_sq_distance(x.row(a).data(), x.row(b).data(), inv_l2.data(), d);
      k(a, b) = k(b, a) = matern52::value(r2, s2);
    }
  }
  return k;
}

// Cholesky with escalating jitter; returns false when even the largest jitter fails.
bool robust_cholesky(Eigen::MatrixXd k, double s2, Eigen::MatrixXd* lower) {
  Eigen::LLT<Eigen::MatrixXd> llt(k);
  double jitter = 1e-10 * s2;
  while (llt.info() != Eigen::Success) {
    if (jitter > 1e-4 * s2) return false;
    k.diagonal().array() += jitter;
    llt.compute(k);
    jitter *= 10;
  }
  *lower = llt.matrixL();
  return true;
}
}  // namespace

Eigen::VectorXd GaussianProcess::packed() const {
  const Eigen::Index d = hyper_.lengthscales.size();
  Eigen::VectorXd theta(d + 2);
  theta.head(d) = hyper_.lengthscales.array().log();
  theta[d] = std::log(hyper_.signal_variance);
  theta[d + 1] = std::log(hyper_.noise_variance);
  return theta;
}

GpHyperparameters GaussianProcess::unpack(const Eigen::VectorXd& theta) {
  const Eigen::Index d = theta.size() - 2;
  GpHyperparameters h;
  h.lengthscales = theta.head(d).array().exp();
  h.signal_variance = std::exp(theta[d]);
  h.noise_variance = std::exp(theta[d + 1]);
  return h;
}

void GaussianProcess::set_data(RowMatrix x, const Eigen::VectorXd& y, const GpHyperparameters& hyper) {
  RECO_CHECK(x.rows() >= 1 && x.rows() == y.size())
      << "GaussianProcess: need as many outputs as input rows (>= 1), got " << x.rows() << " rows and " << y.size()
      << " outputs";
  RECO_CHECK(y.allFinite()) << "GaussianProcess: outputs must be finite";
  x_ = std::move(x);
  y_mean_ = y.mean();
  const double var = (y.array() - y_mean_).square().mean();
  y_scale_ = var > 0 ? std::sqrt(var) : 1.0;
  y_std_ = (y.array() - y_mean_) / y_scale_;
  set_hyperparameters(hyper);
}

void GaussianProcess::set_hyperparameters(const GpHyperparameters& hyper) {
  RECO_CHECK(hyper.lengthscales.size() == x_.cols())
      << "GaussianProcess: " << hyper.lengthscales.size() << " lengthscales for " << x_.cols() << " input dimensions";
  RECO_CHECK((hyper.lengthscales.array() > 0).all() && hyper.signal_variance > 0 && hyper.noise_variance >= 0)
      << "GaussianProcess: hyperparameters must be positive";
  hyper_ = hyper;
  inv_l2_ = hyper_.lengthscales.array().square().inverse();
  factorize();
}

void GaussianProcess::append(const double* x, double y) {
  const Eigen::Index n = x_.rows();
  x_.conservativeResize(n + 1, Eigen::NoChange);
  for (Eigen::Index i = 0; i < x_.cols(); ++i) x_(n, i) = x[i];
  y_std_.conservativeResize(n + 1);
  y_std_[n] = (y - y_mean_) / y_scale_;
  factorize();
}

void GaussianProcess::factorize() {
  const Eigen::MatrixXd k = kernel_matrix(x_, inv_l2_, hyper_.signal_variance, hyper_.noise_variance);
  RECO_CHECK_CODE(robust_cholesky(k, hyper_.signal_variance, &chol_), ErrorCode::kInternal)
      << "GaussianProcess: kernel matrix is not positive definite even with jitter (" << x_.rows() << " points)";
  alpha_ = chol_.triangularView<Eigen::Lower>().solve(y_std_);
  chol_.triangularView<Eigen::Lower>().adjoint().solveInPlace(alpha_);
}

double GaussianProcess::log_marginal_likelihood(const Eigen::VectorXd& theta, Eigen::VectorXd* grad,
                                                bool with_priors) const {
  const Eigen::Index n = x_.rows(), d = x_.cols();
  RECO_CHECK(theta.size() == d + 2) << "log_marginal_likelihood: theta has " << theta.size() << " values, expected "
                                    << d + 2;
  const GpHyperparameters h = unpack(theta);
  const Eigen::VectorXd inv_l2 = h.lengthscales.array().square().inverse();
  const Eigen::MatrixXd k = kernel_matrix(x_, inv_l2, h.signal_variance, h.noise_variance);
  Eigen::MatrixXd lower;
  if (!robust_cholesky(k, h.signal_variance, &lower)) {
    if (grad) grad->setZero(d + 2);
    return -std::numeric_limits<double>::infinity();
  }
  const auto tri = lower.triangularView<Eigen::Lower>();
  Eigen::VectorXd alpha = tri.solve(y_std_);
  tri.adjoint().solveInPlace(alpha);
  double lml = -0.5 * y_std_.dot(alpha) - lower.diagonal().array().log().sum() - 0.5 * n * kLog2Pi;
  if (grad) {
    grad->setZero(d + 2);
    // W = alpha alpha^T - K^-1; dL/dtheta = 1/2 tr(W dK/dtheta).
    Eigen::MatrixXd kinv = Eigen::MatrixXd::Identity(n, n);
    tri.solveInPlace(kinv);
    tri.adjoint().solveInPlace(kinv);
    const Eigen::MatrixXd w = alpha * alpha.transpose() - kinv;
    double signal_term = 0.0;
    for (Eigen::Index a = 0; a < n; ++a) {
      signal_term += 0.5 * w(a, a) * h.signal_variance;
      for (Eigen::Index b = 0; b < a; ++b) {
        const double* xa = x_.row(a).data();
        const double* xb = x_.row(b).data();
        const double r2 = matern52::scaled_sq_distance(xa, xb, inv_l2.data(), static_cast<size_t>(d));
        // Off-diagonal pairs appear twice in the trace: the 1/2 cancels.
        signal_term += w(a, b) * matern52::value(r2, h.signal_variance);
        const double factor = w(a, b) * matern52::derivative_factor(r2, h.signal_variance);
        for (Eigen::Index i = 0; i < d; ++i) {
          const double diff = xa[i] - xb[i];
          (*grad)[i] += factor * diff * diff * inv_l2[i];
        }
      }
    }
    (*grad)[d] = signal_term;
    (*grad)[d + 1] = 0.5 * w.trace() * h.noise_variance;
  }
  if (with_priors) {
    double g = 0.0;
    for (Eigen::Index i = 0; i < d; ++i) {
      lml += log_prior(theta[i], kPriorLogLengthMean, kPriorLogLengthSd, &g);
      if (grad) (*grad)[i] += g;
    }
    lml += log_prior(theta[d], kPriorLogSignalMean, kPriorLogSignalSd, &g);
    if (grad) (*grad)[d] += g;
    lml += log_prior(theta[d + 1], kPriorLogNoiseMean, kPriorLogNoiseSd, &g);
    if (grad) (*grad)[d + 1] += g;
  }
  return lml;
}

void GaussianProcess::fit(const GpFitOptions& options) {
  const Eigen::Index d = x_.cols();
  Eigen::VectorXd lo(d + 2), hi(d + 2);
  lo.head(d).setConstant(std::log(options.min_lengthscale));
  hi.head(d).setConstant(std::log(options.max_lengthscale));
  lo[d] = std::log(1e-2), hi[d] = std::log(1e2);
  lo[d + 1] = std::log(options.min_noise), hi[d + 1] = std::log(options.max_noise);
  const Eigen::VectorXd current = packed();
  if (!options.fit_noise) lo[d + 1] = hi[d + 1] = std::clamp(current[d + 1], lo[d + 1], hi[d + 1]);

  const Objective negative = [&](const Eigen::VectorXd& theta, Eigen::VectorXd& grad) {
    const double v = log_marginal_likelihood(theta, &grad, options.use_priors);
    grad = -grad;
    return -v;
  };
  std::vector<Eigen::VectorXd> starts;
  starts.push_back(current);
  Eigen::VectorXd standard(d + 2);
  standard.head(d).setConstant(std::log(0.5));
  standard[d] = 0.0;
  standard[d + 1] = options.fit_noise ? std::log(1e-2) : current[d + 1];
  starts.push_back(standard);
  Rng rng(options.seed);
  for (int r = 0; r < options.restarts; ++r) {
    Eigen::VectorXd s(d + 2);
    for (Eigen::Index i = 0; i < d; ++i) s[i] = std::log(0.05) + rng.uniform() * (std::log(3.0) - std::log(0.05));
    s[d] = std::log(0.3) + rng.uniform() * (std::log(3.0) - std::log(0.3));
    s[d + 1] = options.fit_noise ? lo[d + 1] + rng.uniform() * (std::log(0.1) - lo[d + 1]) : current[d + 1];
    starts.push_back(s);
  }
  BoxMinimizerOptions mo;
  mo.max_iterations = 100;
  double best = std::numeric_limits<double>::infinity();
  Eigen::VectorXd best_theta = current;
  for (const auto& s : starts) {
    const BoxMinimizerResult r = minimize_in_box(negative, s, lo, hi, mo);
    if (r.value < best) best = r.value, best_theta = r.x;
  }
  set_hyperparameters(unpack(best_theta));
}

GpPrediction GaussianProcess::predict(const double* x) const { return predict(x, nullptr, nullptr); }

GpPrediction GaussianProcess::predict(const double* x, double* dmean, double* dvariance) const {
  const Eigen::Index n = x_.rows(), d = x_.cols();
  const double s2 = hyper_.signal_variance;
  Eigen::VectorXd kstar(n);
  Eigen::MatrixXd jac;  // n x d: d k*_j / d x_i
  if (dmean) jac.resize(n, d);
  for (Eigen::Index j = 0; j < n; ++j) {
    const double* xj = x_.row(j).data();
    const double r2 = matern52::scaled_sq_distance(x, xj, inv_l2_.data(), static_cast<size_t>(d));
    kstar[j] = matern52::value(r2, s2);
    if (dmean) {
      const double factor = -matern52::derivative_factor(r2, s2);
      for (Eigen::Index i = 0; i < d; ++i) jac(j, i) = factor * (x[i] - xj[i]) * inv_l2_[i];
    }
  }
  const auto tri = chol_.triangularView<Eigen::Lower>();
  const Eigen::VectorXd v = tri.solve(kstar);
  GpPrediction p;
  const double var_std = std::max(s2 - v.squaredNorm(), 1e-12 * s2);
  p.mean = y_mean_ + y_scale_ * kstar.dot(alpha_);
  p.variance = var_std * y_scale_ * y_scale_;
  if (dmean) {
    const Eigen::VectorXd w = tri.adjoint().solve(v);  // K^-1 k*
    const Eigen::VectorXd gm = jac.transpose() * alpha_;
    const Eigen::VectorXd gv = -2.0 * (jac.transpose() * w);
    const bool clamped = s2 - v.squaredNorm() <= 1e-12 * s2;
    for (Eigen::Index i = 0; i < d; ++i) {
      dmean[i] = y_scale_ * gm[i];
      dvariance[i] = clamped ? 0.0 : y_scale_ * y_scale_ * gv[i];
    }
  }
  return p;
}

}  // namespace reco::tuning
