// Finite-difference check of every optimizer step: minimize small known functions (a
// quadratic and an L2-regularized logistic loss on a few points) whose gradient is taken by
// central differences in double, and check (a) the first step equals the reference formula
// and (b) the loss falls to near the optimum.
#include <gtest/gtest.h>

#include <functional>

#include "harness.h"

namespace reco::optim {
namespace {

using Fn = std::function<double(const std::vector<double>&)>;

std::vector<double> fd_gradient(const Fn& f, const std::vector<double>& w) {
  const double h = 1e-5;
  std::vector<double> g(w.size());
  std::vector<double> x = w;
  for (size_t i = 0; i < w.size(); ++i) {
    x[i] = w[i] + h;
    const double up = f(x);
    x[i] = w[i] - h;
    const double down = f(x);
    x[i] = w[i];
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

struct Problem {
  std::string name;
  Fn f;
  std::vector<double> start;
  double optimum = 0.0;  // min f
};

Problem quadratic() {
  // f(w) = 1/2 sum a_i (w_i - c_i)^2, minimum 0 at w = c.
  const std::vector<double> a = {0.5, 1.0, 1.5, 2.0, 0.8, 1.2};
  const std::vector<double> c = {1.0, -2.0, 0.5, 0.0, 3.0, -1.0};
  Problem p;
  p.name = "quadratic";
  p.f = [a, c](const std::vector<double>& w) {
    double s = 0;
    for (size_t i = 0; i < w.size(); ++i) s += 0.5 * a[i] * (w[i] - c[i]) * (w[i] - c[i]);
    return s;
  };
  p.start = std::vector<double>(6, 0.0);
  p.optimum = 0.0;
  return p;
}

Problem logistic() {
  // Mean log-loss of sigmoid(x . w) on 8 points with labels that no w separates, plus
  // lambda/2 |w|^2, so the minimum is unique and finite; found by long gradient descent in
  // double with the analytic gradient.
  const std::vector<std::vector<double>> x = {{1, 0.5, -1},  {1, -1, 0.2}, {1, 2, 0.3},   {1, -0.5, -0.7},
                                              {1, 0.1, 1.5}, {1, 1.2, -2}, {1, -1.5, 0.4}, {1, 0.7, 0.9}};
  const std::vector<double> y = {1, 0, 1, 0, 1, 1, 0, 0};
  const double lambda = 0.05;
  auto loss = [x, y, lambda](const std::vector<double>& w) {
    double s = 0;
    for (size_t k = 0; k < x.size(); ++k) {
      double z = 0;
      for (size_t i = 0; i < w.size(); ++i) z += x[k][i] * w[i];
      s += std::log1p(std::exp(z)) - y[k] * z;
    }
    double r = 0;
    for (double wi : w) r += wi * wi;
    return s / static_cast<double>(x.size()) + 0.5 * lambda * r;
  };
  std::vector<double> w(3, 0.0);
  for (int it = 0; it < 20000; ++it) {
    std::vector<double> g(3, 0.0);
    for (size_t k = 0; k < x.size(); ++k) {
      double z = 0;
      for (size_t i = 0; i < 3; ++i) z += x[k][i] * w[i];
      const double p = 1 / (1 + std::exp(-z));
      for (size_t i = 0; i < 3; ++i) g[i] += (p - y[k]) * x[k][i] / static_cast<double>(x.size());
    }
    for (size_t i = 0; i < 3; ++i) w[i] -= 1.0 * (g[i] + lambda * w[i]);
  }
  Problem p;
  p.name = "logistic";
  p.f = loss;
  p.start = {0.5, -0.5, 1.0};
  p.optimum = loss(w);
  return p;
}

struct Case {
  std::string name;
  OptimizerConfig config;
};

std::vector<Case> cases() {
  auto make = [](OptimizerKind kind, float lr) {
    OptimizerConfig c;
    c.kind = kind;
    c.schedule.base = lr;
    return c;
  };
  std::vector<Case> out;
  out.push_back({"sgd", make(OptimizerKind::kSgd, 0.3f)});
  OptimizerConfig m = make(OptimizerKind::kSgd, 0.1f);
  m.momentum = 0.8f;
  out.push_back({"sgd_momentum", m});
  m.nesterov = true;
  out.push_back({"sgd_nesterov", m});
  out.push_back({"adagrad", make(OptimizerKind::kAdagrad, 0.5f)});
  for (OptimizerKind kind : {OptimizerKind::kAdam, OptimizerKind::kLazyAdam}) {
    OptimizerConfig a = make(kind, 0.1f);
    a.schedule.warmup_steps = 5;
    a.schedule.decay = LrDecay::kCosine;
    a.schedule.decay_steps = 400;
    out.push_back({std::string(optimizer_kind_name(kind)), a});
  }
  return out;
}

TEST(FiniteDifference, EveryOptimizerStepMatchesReferenceAndConverges) {
  for (const Problem& prob : {quadratic(), logistic()}) {
    for (const Case& cs : cases()) {
      SCOPED_TRACE(prob.name + " / " + cs.name);
      const size_t n = prob.start.size();
      nn::Parameter p{"w", nn::Tensor(1, n), false, true};
      for (size_t i = 0; i < n; ++i) p.value.data()[i] = static_cast<float>(prob.start[i]);
      auto opt = make_optimizer(cs.config);
      opt->add(p);
      testref::RefParam ref = testref::make_ref(p.value, cs.config, false, true);
      const double f0 = prob.f(testref::to_double(p.value));
      nn::Tensor g(1, n);
      double f_prev = f0;
      double f_at_10 = 0;
      const int steps = 400;
      for (int t = 1; t <= steps; ++t) {
        const std::vector<double> gd = fd_gradient(prob.f, testref::to_double(p.value));
        for (size_t i = 0; i < n; ++i) g.data()[i] = static_cast<float>(gd[i]);
        opt->begin_step();
        opt->update_dense(0, g);
        if (t == 1) {
          // (a) the step equals the reference formula applied to the same gradient.
          testref::step_dense(cs.config, 1, ref, testref::to_double(g));
          testref::expect_close(p.value, ref.w, 1e-5, "first step");
        }
        const double f = prob.f(testref::to_double(p.value));
        ASSERT_TRUE(std::isfinite(f)) << "step " << t;
        if (cs.name == "sgd") {
          EXPECT_LE(f, f_prev + 1e-12) << "plain SGD below 1/L must descend, step " << t;
        }
        f_prev = f;
        if (t == 10) f_at_10 = f;
      }
      // (b) descent, and the end point is near the optimum.
      EXPECT_LT(f_at_10, f0);
      const double gap = prob.f(testref::to_double(p.value)) - prob.optimum;
      EXPECT_GE(gap, -1e-6);
      EXPECT_LT(gap, 1e-4 * (f0 - prob.optimum)) << "f0 " << f0 << " optimum " << prob.optimum;
    }
  }
}

// The central difference itself is accurate on the quadratic (analytic gradient known), so
// the test above feeds the optimizers a correct gradient.
TEST(FiniteDifference, GradientMatchesAnalyticOnQuadratic) {
  const Problem q = quadratic();
  const std::vector<double> w = {0.3, 0.1, -0.2, 1.0, 2.0, -0.5};
  const std::vector<double> a = {0.5, 1.0, 1.5, 2.0, 0.8, 1.2};
  const std::vector<double> c = {1.0, -2.0, 0.5, 0.0, 3.0, -1.0};
  const std::vector<double> g = fd_gradient(q.f, w);
  for (size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(g[i], a[i] * (w[i] - c[i]), 1e-8);
}

}  // namespace
}  // namespace reco::optim
