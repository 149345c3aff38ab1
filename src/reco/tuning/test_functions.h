// Standard global-optimization test functions (minimization form) used by the tuning tests
// and bench/tuning: Branin (2-d) and Hartmann-6, with their known global minima.
#pragma once

#include <vector>

namespace reco::tuning::test_functions {

/// Branin on x1 in [-5, 10], x2 in [0, 15]; minimum 0.397887 at three points.
double branin(double x1, double x2);
inline constexpr double kBraninMinimum = 0.39788735772973816;
/// Branin of a point of the unit square (mapped onto its domain).
double branin_unit(const std::vector<double>& u);

/// Hartmann-6 on [0, 1]^6; minimum -3.32237 at (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573).
double hartmann6(const std::vector<double>& x);
inline constexpr double kHartmann6Minimum = -3.3223680114155147;

}  // namespace reco::tuning::test_functions
