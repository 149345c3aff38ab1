#include "reco/tuning/acquisition.h"

#include <cmath>

namespace reco::tuning {

namespace {
constexpr double kLogSqrt2Pi = 0.91893853320467274178032973640562;
constexpr double kInvSqrt2 = 0.70710678118654752440084436210485;

// C(t) = 1 / R(t) for t > 0 where R is Mills' ratio: t + 1/(t + 2/(t + 3/(t + ...))).
// Evaluated bottom-up with a fixed depth: for t >= 3 (where it is used) 200 levels give
// full double precision.
double inverse_mills(double t, double* tail) {
  double f = t;
  for (int k = 200; k >= 2; --k) f = t + k / f;
  // f = t + 2/(t + 3/(...)); C(t) = t + 1/f, and C(t) - t = 1/f.
  *tail = 1.0 / f;
  return t + 1.0 / f;
}
}  // namespace

double normal_pdf(double z) { return std::exp(-0.5 * z * z - kLogSqrt2Pi); }
double normal_cdf(double z) { return 0.5 * std::erfc(-z * kInvSqrt2); }

double log_h(double z, double* dlog) {
  if (z >= -3.0) {
    const double cdf = normal_cdf(z);
    const double h = z * cdf + normal_pdf(z);
    if (dlog) *dlog = cdf / h;
    return std::log(h);
  }
  const double t = -z;
  double tail = 0.0;
  const double c = inverse_mills(t, &tail);  // C(t) = 1/R(t), tail = C(t) - t
  // h = phi(z) (1 - t R) = phi(z) (C - t) / C.
  const double log_phi = -0.5 * z * z - kLogSqrt2Pi;
  if (dlog) *dlog = 1.0 / tail;  // Phi/h = R phi / (phi (C - t)/C) = 1/(C - t)
  return log_phi + std::log(tail) - std::log(c);
}

double log_expected_improvement(double mean, double sd, double best, double* dmean, double* dsd) {
  const double z = (mean - best) / sd;
  double dlh = 0.0;
  const double value = std::log(sd) + log_h(z, &dlh);
  if (dmean) *dmean = dlh / sd;
  if (dsd) *dsd = 1.0 / sd - dlh * z / sd;
  return value;
}

double log_normal_cdf(double z, double* dlog) {
  if (z >= -5.0) {
    const double cdf = normal_cdf(z);
    if (dlog) *dlog = normal_pdf(z) / cdf;
    return std::log(cdf);
  }
  double tail = 0.0;
  const double c = inverse_mills(-z, &tail);  // Phi(z) = phi(z) / C(-z)
  if (dlog) *dlog = c;
  return -0.5 * z * z - kLogSqrt2Pi - std::log(c);
}

}  // namespace reco::tuning
