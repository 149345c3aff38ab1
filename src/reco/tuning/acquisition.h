// Acquisition functions of the Bayesian optimizer (maximization convention), as small
// stateless functions of a Gaussian posterior N(mean, sd^2):
//
//   expected improvement over `best`:  EI = sd * h(z),  z = (mean - best) / sd,
//                                       h(z) = z Phi(z) + phi(z)
//   log EI = log sd + log h(z). For z >= -3 h is computed directly; below, with t = -z,
//   h(z) = phi(z) (1 - t R(t)) where R(t) = Q(t)/phi(t) is Mills' ratio, and 1 - t R(t) =
//   R(t) / C(t) with C(t) = t + 1/(t + 2/(t + 3/(...)))... evaluated as a continued fraction, so
//   neither the subtraction nor the underflow of phi happens: log h(-40) is about -805.
//   d log h / dz = Phi(z) / h(z) (= C(t) / (C(t) - t)... in the tail, likewise stable).
//
//   probability of feasibility of an outcome constraint g(x) >= threshold with g ~ N(m, s^2):
//   PF = Phi((m - threshold) / s); its log uses the same tail expansion (log Phi(z) =
//   log phi(z) + log R(-z) for z < -5).
//
// The optimizer maximizes log EI(x) + sum_j log PF_j(x): EI times the product of the
// feasibility probabilities, in logs so that flat, far-from-feasible regions keep a gradient.
#pragma once

namespace reco::tuning {

/// log h(z) with h(z) = z Phi(z) + phi(z); writes d/dz log h into dlog when non-null.
double log_h(double z, double* dlog = nullptr);

/// log EI for a posterior (mean, sd > 0) against the incumbent `best` (maximization);
/// writes d/dmean and d/dsd when non-null.
double log_expected_improvement(double mean, double sd, double best, double* dmean = nullptr, double* dsd = nullptr);

/// log Phi(z), finite for any finite z; writes d/dz into dlog when non-null.
double log_normal_cdf(double z, double* dlog = nullptr);

/// Standard normal pdf and cdf.
double normal_pdf(double z);
double normal_cdf(double z);

}  // namespace reco::tuning
