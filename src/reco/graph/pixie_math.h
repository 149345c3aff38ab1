// The small formulas of Pixie (Eksombatchai et al., WWW 2018), stateless so they can be
// tested on their own.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <span>
#include <vector>

namespace reco::graph {

/// Step scale of a query node of degree d: s = d * (C - log d), C = log(max degree), clamped
/// at 0. Grows with the degree (more neighbours need more steps to cover) but sub-linearly,
/// so one very popular query node does not take the whole budget; the max-degree node gets 0.
inline double pixie_step_scale(uint32_t degree, double log_max_degree) {
  if (degree == 0) return 0.0;
  const double d = degree;
  return std::max(0.0, d * (log_max_degree - std::log(d)));
}

/// Splits `total` steps over query nodes proportionally to weight[q] * scale[q] (largest
/// remainder rounding, so the parts sum to `total`). When every product is 0 (e.g. one query
/// node that has the maximum degree) the split falls back to the weights alone, then to equal
/// parts; negative weights count as 0.
inline std::vector<uint64_t> allocate_steps(uint64_t total, std::span<const double> weight,
                                            std::span<const double> scale) {
  const size_t n = weight.size();
  std::vector<uint64_t> out(n, 0);
  if (n == 0) return out;
  std::vector<double> share(n);
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += share[i] = std::max(0.0, weight[i]) * scale[i];
  if (!(sum > 0.0)) {
    sum = 0.0;
    for (size_t i = 0; i < n; ++i) sum += share[i] = std::max(0.0, weight[i]);
  }
  if (!(sum > 0.0)) {
    std::fill(share.begin(), share.end(), 1.0);
    sum = static_cast<double>(n);
  }
  uint64_t given = 0;
  std::vector<std::pair<double, size_t>> remainder(n);
  for (size_t i = 0; i < n; ++i) {
    const double exact = static_cast<double>(total) * share[i] / sum;
    out[i] = static_cast<uint64_t>(std::floor(exact));
    given += out[i];
    remainder[i] = {exact - std::floor(exact), i};
  }
  // Ties in the remainder go to the earlier query node, so the split is deterministic.
  std::stable_sort(remainder.begin(), remainder.end(), [](auto& a, auto& b) { return a.first > b.first; });
  for (size_t j = 0; given < total; j = (j + 1) % n, ++given) ++out[remainder[j].second];
  return out;
}

/// Multi-hit boosting: V[p] = (sum_q sqrt(V_q[p]))^2. Equals the plain count for one query
/// node, and favours items reached from several query nodes over items reached as often
/// from only one (sqrt(a) + sqrt(b) squared >= a + b).
inline double boost_visits(std::span<const uint32_t> per_query_visits) {
  double s = 0.0;
  for (uint32_t v : per_query_visits) s += std::sqrt(static_cast<double>(v));
  return s * s;
}

}  // namespace reco::graph
