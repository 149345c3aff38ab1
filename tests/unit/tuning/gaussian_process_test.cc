#include "reco/tuning/gaussian_process.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "reco/core/rng.h"
#include "testing/testing.h"

namespace reco::tuning {
namespace {

struct Problem {
  RowMatrix x;
  Eigen::VectorXd y;
  GpHyperparameters hyper;
};

Problem make_problem(size_t n, size_t d, uint64_t seed) {
  Rng rng(seed);
  Problem p{RowMatrix(n, d), Eigen::VectorXd(n), {}};
  for (size_t i = 0; i < n; ++i) {
    double s = 0;
    for (size_t j = 0; j < d; ++j) {
      p.x(i, j) = rng.uniform();
      s += std::sin(3.0 * (j + 1) * p.x(i, j));
    }
    p.y[i] = 5.0 + 2.0 * s + 0.05 * rng.normal();
  }
  p.hyper.lengthscales.resize(d);
  for (size_t j = 0; j < d; ++j) p.hyper.lengthscales[j] = 0.3 + 0.2 * j;
  p.hyper.signal_variance = 1.3;
  p.hyper.noise_variance = 0.01;
  return p;
}

std::string fmt17(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

// Reference: scikit-learn's GaussianProcessRegressor with the same fixed hyperparameters
// (ConstantKernel * Matern(nu=2.5, per-dimension length scales), alpha = noise variance,
// normalize_y=True, which standardizes with the population std like we do).
TEST(GaussianProcess, PosteriorMatchesScikitLearn) {
  const char* python = "/usr/bin/python3";
  if (reco::testing::run_command(std::string(python) + " -c 'import sklearn' 2>&1").first != 0)
    GTEST_SKIP() << "SKIP: /usr/bin/python3 with scikit-learn (Debian python3-sklearn) is not installed; "
                    "scripts/setup.sh installs it";
  const size_t n = 25, d = 3, m = 10;
  Problem p = make_problem(n, d, 7);
  GaussianProcess gp;
  gp.set_data(p.x, p.y, p.hyper);
  Rng rng(99);
  RowMatrix test(m, d);
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < d; ++j) test(i, j) = rng.uniform();

  reco::testing::TempDir tmp;
  std::ofstream data(tmp.file("data.txt"));
  data.precision(17);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < d; ++j) data << p.x(i, j) << ' ';
    data << p.y[i] << '\n';
  }
  data.close();
  std::ofstream query(tmp.file("query.txt"));
  query.precision(17);
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < d; ++j) query << test(i, j) << (j + 1 < d ? ' ' : '\n');
  }
  query.close();
  std::string ls = "[";
  for (size_t j = 0; j < d; ++j) ls += fmt17(p.hyper.lengthscales[j]) + (j + 1 < d ? "," : "]");
  const std::string script =
      "import numpy as np\n"
      "from sklearn.gaussian_process import GaussianProcessRegressor\n"
      "from sklearn.gaussian_process.kernels import Matern, ConstantKernel\n"
      "D = np.loadtxt('" + tmp.file("data.txt") + "')\n"
      "Q = np.loadtxt('" + tmp.file("query.txt") + "')\n"
      "k = ConstantKernel(" + fmt17(p.hyper.signal_variance) + ", 'fixed') * Matern(length_scale=" + ls +
      ", length_scale_bounds='fixed', nu=2.5)\n"
      "g = GaussianProcessRegressor(kernel=k, alpha=" + fmt17(p.hyper.noise_variance) +
      ", optimizer=None, normalize_y=True).fit(D[:, :-1], D[:, -1])\n"
      "mu, sd = g.predict(Q, return_std=True)\n"
      "print(repr(float(g.log_marginal_likelihood_value_)))\n"
      "for a, b in zip(mu, sd): print(repr(float(a)), repr(float(b * b)))\n";
  reco::testing::write_file(tmp.file("ref.py"), script);
  const auto [rc, out] = reco::testing::run_command(std::string(python) + " " + tmp.file("ref.py") + " 2>&1");
  ASSERT_EQ(rc, 0) << out;
  std::istringstream in(out);
  double ref_lml = 0;
  in >> ref_lml;
  EXPECT_NEAR(gp.log_marginal_likelihood(gp.packed(), nullptr, false), ref_lml, 1e-6 * std::max(1.0, std::abs(ref_lml)));
  for (size_t i = 0; i < m; ++i) {
    double mean = 0, var = 0;
    ASSERT_TRUE(in >> mean >> var) << out;
    const GpPrediction pred = gp.predict(test.row(i).data());
    EXPECT_NEAR(pred.mean, mean, 1e-6) << "query " << i;
    EXPECT_NEAR(pred.variance, var, 1e-6) << "query " << i;
  }
}

TEST(GaussianProcess, LogMarginalLikelihoodGradientMatchesFiniteDifferences) {
  Problem p = make_problem(30, 4, 3);
  GaussianProcess gp;
  gp.set_data(p.x, p.y, p.hyper);
  for (bool priors : {false, true}) {
    Eigen::VectorXd theta = gp.packed();
    theta[0] += 0.2, theta[5] = std::log(0.05);
    Eigen::VectorXd grad;
    gp.log_marginal_likelihood(theta, &grad, priors);
    for (Eigen::Index i = 0; i < theta.size(); ++i) {
      const double e = 1e-6;
      Eigen::VectorXd a = theta, b = theta;
      a[i] += e, b[i] -= e;
      const double fd = (gp.log_marginal_likelihood(a, nullptr, priors) - gp.log_marginal_likelihood(b, nullptr, priors)) /
                        (2 * e);
      EXPECT_NEAR(grad[i], fd, 1e-5 * std::max(1.0, std::abs(fd))) << "theta " << i << " priors " << priors;
    }
  }
}

TEST(GaussianProcess, PredictionGradientMatchesFiniteDifferences) {
  Problem p = make_problem(20, 3, 5);
  GaussianProcess gp;
  gp.set_data(p.x, p.y, p.hyper);
  const double x[3] = {0.3, 0.6, 0.45};
  double dm[3], dv[3];
  gp.predict(x, dm, dv);
  for (int i = 0; i < 3; ++i) {
    double a[3] = {x[0], x[1], x[2]}, b[3] = {x[0], x[1], x[2]};
    const double e = 1e-6;
    a[i] += e, b[i] -= e;
    EXPECT_NEAR(dm[i], (gp.predict(a).mean - gp.predict(b).mean) / (2 * e), 1e-5);
    EXPECT_NEAR(dv[i], (gp.predict(a).variance - gp.predict(b).variance) / (2 * e), 1e-5);
  }
}

TEST(GaussianProcess, FitIncreasesEvidenceAndInterpolates) {
  Problem p = make_problem(40, 2, 11);
  GaussianProcess gp;
  GpHyperparameters start = p.hyper;
  start.lengthscales.setConstant(5.0);
  start.noise_variance = 0.5;
  gp.set_data(p.x, p.y, start);
  const double before = gp.log_marginal_likelihood(gp.packed(), nullptr, true);
  gp.fit(GpFitOptions{});
  const double after = gp.log_marginal_likelihood(gp.packed(), nullptr, true);
  EXPECT_GT(after, before);
  // Held-out error well below the output's spread (std about 2).
  Rng rng(12);
  double sq = 0;
  for (int i = 0; i < 50; ++i) {
    const double x[2] = {rng.uniform(), rng.uniform()};
    const double truth = 5.0 + 2.0 * (std::sin(3.0 * x[0]) + std::sin(6.0 * x[1]));
    sq += std::pow(gp.predict(x).mean - truth, 2);
  }
  EXPECT_LT(std::sqrt(sq / 50), 0.3);
}

}  // namespace
}  // namespace reco::tuning
