// Finite-difference gradient checking for float32 layers, shared by the nn, optim and model
// tests: #include "unit/nn/gradient_check.h" (reco_testing puts tests/ on the include path).
//
// How a check works: the test writes the scalar loss L(params) as a random linear functional
// of a layer's output, L = sum(R .* output) with R drawn once (so every output element and
// every path through the layer matters, and dL/doutput = R is what backward receives). For
// every element x of a float parameter, the numeric derivative is the central difference
//   (L(x + h+) - L(x - h-)) / (h+ + h-)
// evaluated in double, where h+/h- are the steps actually representable after rounding
// x +- h to float (h = rel_step * max(|x|, 1)). It is compared with the analytic gradient
// under a combined tolerance |a - n| <= atol + rtol * max(|a|, |n|), appropriate for a
// float32 forward pass (rounding noise of the loss divided by 2h is ~1e-4 for O(1) outputs).
//
// The parameter is restored bit-for-bit after each element. Loss callbacks must be
// deterministic: re-seed any dropout Rng inside the callback.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>

#include "reco/core/rng.h"
#include "reco/nn/tensor.h"

namespace reco::nn::gradcheck {

struct Tolerance {
  double rel_step = 1e-3;  ///< h = rel_step * max(|x|, 1)
  double rtol = 1e-2;
  double atol = 1e-3;
};

/// Fills a view with Uniform(lo, hi) from rng (row by row, so the draw is layout-independent).
inline void fill_uniform(MatrixView m, Rng& rng, float lo = -1.0f, float hi = 1.0f) {
  for (size_t r = 0; r < m.rows; ++r)
    for (size_t c = 0; c < m.cols; ++c) m.at(r, c) = lo + (hi - lo) * rng.uniform_float();
}

/// A [rows, cols] tensor of Uniform(lo, hi).
inline Tensor random_tensor(size_t rows, size_t cols, Rng& rng, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(rows, cols);
  fill_uniform(t, rng, lo, hi);
  return t;
}

/// sum over (r, c) of out(r, c) * weights(r, c), in double. Shapes must match.
inline double linear_functional(ConstMatrixView out, ConstMatrixView weights) {
  EXPECT_EQ(out.rows, weights.rows);
  EXPECT_EQ(out.cols, weights.cols);
  double s = 0.0;
  for (size_t r = 0; r < std::min(out.rows, weights.rows); ++r)
    for (size_t c = 0; c < std::min(out.cols, weights.cols); ++c)
      s += static_cast<double>(out.at(r, c)) * weights.at(r, c);
  return s;
}

/// Numeric derivative of loss() w.r.t. *x by central differences; *x is restored.
inline double numeric_derivative(float* x, const std::function<double()>& loss, double rel_step) {
  const float x0 = *x;
  const double h = rel_step * std::max(1.0, std::fabs(static_cast<double>(x0)));
  const float xp = static_cast<float>(x0 + h);
  const float xm = static_cast<float>(x0 - h);
  *x = xp;
  const double lp = loss();
  *x = xm;
  const double lm = loss();
  *x = x0;
  return (lp - lm) / (static_cast<double>(xp) - static_cast<double>(xm));
}

/// Checks analytic(r, c) == dL/dvalues(r, c) for every element of `values` (a parameter,
/// an input, or any float view the loss reads). `what` names it in the failure message,
/// which lists the first failing elements with analytic and numeric values.
inline ::testing::AssertionResult check_gradient(std::string_view what, MatrixView values, ConstMatrixView analytic,
                                                 const std::function<double()>& loss, const Tolerance& tol = {}) {
  if (values.rows != analytic.rows || values.cols != analytic.cols) {
    return ::testing::AssertionFailure() << what << ": analytic gradient is " << analytic.rows << "x" << analytic.cols
                                         << " but the values are " << values.rows << "x" << values.cols;
  }
  std::ostringstream failures;
  size_t failed = 0;
  double worst = 0.0;
  for (size_t r = 0; r < values.rows; ++r) {
    for (size_t c = 0; c < values.cols; ++c) {
      const double a = analytic.at(r, c);
      const double x = values.at(r, c);
      const double n = numeric_derivative(&values.at(r, c), loss, tol.rel_step);
      const double diff = std::fabs(a - n);
      const double allowed = tol.atol + tol.rtol * std::max(std::fabs(a), std::fabs(n));
      const bool ok = std::isfinite(a) && std::isfinite(n) && diff <= allowed;
      worst = std::max(worst, diff / allowed);
      if (!ok) {
        if (failed < 8) {
          failures << "\n  " << what << "[" << r << ", " << c << "] (x = " << x << "): analytic " << a << " vs numeric "
                   << n << " (|diff| " << diff << " > " << allowed << ")";
        }
        ++failed;
      }
    }
  }
  if (failed == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": " << failed << " of " << values.rows * values.cols
                                       << " gradient elements disagree with central differences (worst |diff|/tol "
                                       << worst << ")" << failures.str();
}

/// Same for flat float arrays (loss inputs such as logits); elements are reported as [0, i].
inline ::testing::AssertionResult check_gradient(std::string_view what, std::span<float> values,
                                                 std::span<const float> analytic, const std::function<double()>& loss,
                                                 const Tolerance& tol = {}) {
  if (values.size() != analytic.size()) {
    return ::testing::AssertionFailure() << what << ": analytic gradient has " << analytic.size()
                                         << " elements but the values have " << values.size();
  }
  return check_gradient(what, MatrixView{values.data(), 1, values.size(), values.size()},
                        ConstMatrixView{analytic.data(), 1, analytic.size(), analytic.size()}, loss, tol);
}

}  // namespace reco::nn::gradcheck
