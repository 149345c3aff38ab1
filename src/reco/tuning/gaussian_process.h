// Gaussian-process regression surrogate: zero-mean GP on standardized outputs with a
// Matérn-5/2 ARD kernel plus homoscedastic Gaussian noise.
//
// Data layout: inputs X are n x d row-major in Eigen (one observation per row), already scaled to
// the unit cube by the caller (tuning::Space does it); y holds the raw outputs, standardized here
// to zero mean and unit variance (population std, like scikit-learn's normalize_y) — so the
// hyperparameters below live on that standardized scale. Owns copies of X and y, the Cholesky
// factor L of K + noise I and alpha = K^-1 y.
//
// Hyperparameters theta (packed vector, all logs): [log l_1..log l_d, log s2, log noise].
// fit() maximizes the log marginal likelihood plus weak Gaussian priors on each log value
// (they keep 5-point fits from degenerating) with analytic gradients, several restarts, and
// bounds; the Cholesky adds jitter (1e-10 .. 1e-4 times s2) only if the plain factorization fails.
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/Core>

namespace reco::tuning {

/// Row-major n x d inputs: row i is observation i (contiguous, so kernels take row pointers).
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct GpHyperparameters {
  Eigen::VectorXd lengthscales;  // d, input units (unit cube)
  double signal_variance = 1.0;  // standardized output units
  double noise_variance = 1e-4;  // standardized output units
};

struct GpFitOptions {
  int restarts = 4;          // random starts besides the default and the previous optimum
  bool fit_noise = true;     // false: keep noise_variance as given (deterministic objectives)
  uint64_t seed = 1;
  double min_noise = 1e-6;   // bounds (standardized units)
  double max_noise = 1.0;
  double min_lengthscale = 0.01;
  double max_lengthscale = 20.0;
  bool use_priors = true;
};

struct GpPrediction {
  double mean = 0.0;      // raw output units
  double variance = 0.0;  // latent f (noise excluded), raw output units
};

class GaussianProcess {
 public:
  /// Sets the data (n >= 1, X.cols() = dims) and the hyperparameters, and factorizes.
  void set_data(RowMatrix x, const Eigen::VectorXd& y, const GpHyperparameters& hyper);
  /// Replaces the hyperparameters and refactorizes.
  void set_hyperparameters(const GpHyperparameters& hyper);
  /// Fits the hyperparameters (MAP over log values); starts from the current ones too.
  void fit(const GpFitOptions& options);

  /// Adds one observation keeping the hyperparameters and the output standardization (the
  /// kriging-believer fantasies of batch proposals); refactorizes.
  void append(const double* x, double y);

  /// Log marginal likelihood of the standardized outputs at packed log-hyperparameters theta,
  /// plus the log priors when with_priors; writes d/dtheta into grad when non-null.
  double log_marginal_likelihood(const Eigen::VectorXd& theta, Eigen::VectorXd* grad, bool with_priors) const;

  GpPrediction predict(const double* x) const;
  /// Prediction and its gradient with respect to x (d values each).
  GpPrediction predict(const double* x, double* dmean, double* dvariance) const;

  size_t dims() const { return static_cast<size_t>(x_.cols()); }
  size_t size() const { return static_cast<size_t>(x_.rows()); }
  const GpHyperparameters& hyperparameters() const { return hyper_; }
  Eigen::VectorXd packed() const;
  static GpHyperparameters unpack(const Eigen::VectorXd& theta);
  double y_mean() const { return y_mean_; }
  double y_scale() const { return y_scale_; }

 private:
  void factorize();

  RowMatrix x_;
  Eigen::VectorXd y_std_;  // standardized outputs
  double y_mean_ = 0.0, y_scale_ = 1.0;
  GpHyperparameters hyper_;
  Eigen::VectorXd inv_l2_;
  Eigen::MatrixXd chol_;  // lower-triangular L
  Eigen::VectorXd alpha_;
};

}  // namespace reco::tuning
