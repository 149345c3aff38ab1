// AliasTable — O(1) sampling from a fixed discrete distribution (Walker / Vose alias
// method). Layout: per outcome one acceptance threshold (f32 in [0,1]) and one alias index;
// a draw picks a slot uniformly, keeps it with its threshold's probability, else takes the
// alias. Used for the unigram^0.75 negative table of item2vec and the degree^0.75 start-user
// draw of HOP-Rec. Immutable after construction; shared read-only by threads.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "reco/core/error.h"
#include "reco/core/rng.h"

namespace reco::graph {

class AliasTable {
 public:
  AliasTable() = default;
  /// weights >= 0, at least one > 0.
  explicit AliasTable(std::span<const double> weights) {
    const size_t n = weights.size();
    double total = 0.0;
    for (double w : weights) {
      RECO_CHECK(w >= 0.0) << "alias table: negative weight " << w;
      total += w;
    }
    RECO_CHECK(n > 0 && total > 0.0) << "alias table: needs a positive weight";
    prob_.assign(n, 1.0f);
    alias_.resize(n);
    std::vector<double> scaled(n);
    std::vector<uint32_t> small, large;
    for (size_t k = 0; k < n; ++k) {
      alias_[k] = static_cast<uint32_t>(k);
      scaled[k] = weights[k] * double(n) / total;
      (scaled[k] < 1.0 ? small : large).push_back(static_cast<uint32_t>(k));
    }
    while (!small.empty() && !large.empty()) {
      const uint32_t s = small.back(), l = large.back();
      small.pop_back();
      prob_[s] = static_cast<float>(scaled[s]);
      alias_[s] = l;
      scaled[l] -= 1.0 - scaled[s];
      if (scaled[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
    // Leftovers are 1 up to rounding: keep them (prob 1).
  }

  uint32_t sample(Rng& rng) const {
    const auto k = static_cast<uint32_t>(rng.below(prob_.size()));
    return rng.uniform_float() < prob_[k] ? k : alias_[k];
  }
  size_t size() const { return prob_.size(); }

 private:
  std::vector<float> prob_;
  std::vector<uint32_t> alias_;
};

}  // namespace reco::graph
