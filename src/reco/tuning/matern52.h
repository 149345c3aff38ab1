// Matérn-5/2 kernel with automatic relevance determination (one lengthscale per input):
//   r^2  = sum_i (x_i - y_i)^2 / l_i^2
//   k    = s2 * (1 + sqrt5 r + 5/3 r^2) * exp(-sqrt5 r)
// and the two derivatives the GP needs, written so that r = 0 needs no special case:
//   dk/d(log l_i) = s2 * 5/3 * (1 + sqrt5 r) * exp(-sqrt5 r) * (x_i - y_i)^2 / l_i^2
//   dk/dx_i       = -s2 * 5/3 * (1 + sqrt5 r) * exp(-sqrt5 r) * (x_i - y_i) / l_i^2
// Stateless; inputs are raw pointers to `dims` doubles.
#pragma once

#include <cmath>
#include <cstddef>

namespace reco::tuning::matern52 {

inline constexpr double kSqrt5 = 2.23606797749978969640917366873128;

/// Scaled squared distance sum_i ((x_i - y_i) / l_i)^2; inv_l2[i] = 1 / l_i^2.
inline double scaled_sq_distance(const double* x, const double* y, const double* inv_l2, size_t dims) {
  double r2 = 0.0;
  for (size_t i = 0; i < dims; ++i) {
    const double d = x[i] - y[i];
    r2 += d * d * inv_l2[i];
  }
  return r2;
}

/// Kernel value for a scaled squared distance r2.
inline double value(double r2, double signal_variance) {
  const double r = std::sqrt(r2);
  return signal_variance * (1.0 + kSqrt5 * r + (5.0 / 3.0) * r2) * std::exp(-kSqrt5 * r);
}

/// The common factor of both derivatives: s2 * 5/3 * (1 + sqrt5 r) * exp(-sqrt5 r).
inline double derivative_factor(double r2, double signal_variance) {
  const double r = std::sqrt(r2);
  return signal_variance * (5.0 / 3.0) * (1.0 + kSqrt5 * r) * std::exp(-kSqrt5 * r);
}

}  // namespace reco::tuning::matern52
