// AliasTable — Walker/Vose alias method: O(n) build, O(1) draws from a fixed discrete
// distribution (user activity, query popularity, category sizes, popular-item pools).
//
// Layout: two arrays of n entries, prob_[i] in [0,1] (the chance that bucket i keeps i) and
// alias_[i] (the index it hands over to otherwise). Owns its arrays; immutable after build.
#pragma once

#include <cstdint>
#include <vector>

#include "reco/core/rng.h"

namespace reco::sim {

class AliasTable {
 public:
  AliasTable() = default;
  /// weights: non-negative, at least one positive (throws kInvalidArgument otherwise).
  explicit AliasTable(const std::vector<double>& weights);

  uint32_t sample(Rng& rng) const {
    const uint64_t i = rng.below(prob_.size());
    return rng.uniform() < prob_[i] ? static_cast<uint32_t>(i) : alias_[i];
  }
  size_t size() const { return prob_.size(); }

 private:
  std::vector<double> prob_;
  std::vector<uint32_t> alias_;
};

}  // namespace reco::sim
