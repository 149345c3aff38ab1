#include "reco/sim/alias_table.h"

#include "reco/core/error.h"

namespace reco::sim {

AliasTable::AliasTable(const std::vector<double>& weights) {
  const size_t n = weights.size();
  double total = 0.0;
  for (double w : weights) {
    if (!(w >= 0.0)) RECO_THROW(ErrorCode::kInvalidArgument) << "alias table: negative or NaN weight " << w;
    total += w;
  }
  if (n == 0 || !(total > 0.0)) RECO_THROW(ErrorCode::kInvalidArgument) << "alias table: no positive weight";
  prob_.assign(n, 1.0);
  alias_.resize(n);
  std::vector<double> scaled(n);
  std::vector<uint32_t> small, large;
  for (size_t i = 0; i < n; ++i) {
    alias_[i] = static_cast<uint32_t>(i);
    scaled[i] = weights[i] * static_cast<double>(n) / total;
    (scaled[i] < 1.0 ? small : large).push_back(static_cast<uint32_t>(i));
  }
  // Vose: pair each under-full bucket with an over-full one; leftovers (rounding) keep prob 1.
  while (!small.empty() && !large.empty()) {
    const uint32_t s = small.back();
    small.pop_back();
    const uint32_t l = large.back();
    prob_[s] = scaled[s];
    alias_[s] = l;
    scaled[l] -= 1.0 - scaled[s];
    if (scaled[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
}

}  // namespace reco::sim
