#include "reco/eval/hit_rate_at_k.h"

#include <algorithm>
#include <limits>

#include "reco/core/error.h"

namespace reco::eval {

double hit_rate_at_k(std::span<const ScoredSample> rows, std::size_t k) {
  bool any_relevant = false;
  double hit = 0.0;
  bool decided = false;
  for (std::size_t begin = 0; begin < rows.size();) {
    const std::size_t end = tie_block_end(rows, begin);
    std::size_t block_relevant = 0;
    for (std::size_t i = begin; i < end; ++i) block_relevant += rows[i].label > 0.0 ? 1 : 0;
    any_relevant = any_relevant || block_relevant > 0;
    if (!decided && begin < k && block_relevant > 0) {
      const std::size_t m = end - begin;
      const std::size_t s = std::min(end, k) - begin;
      // P(no relevant among s of the m tied rows) = prod_{i<s} (m - r - i) / (m - i).
      double miss = 1.0;
      for (std::size_t i = 0; i < s && miss > 0.0; ++i) {
        miss *= i + block_relevant <= m ? static_cast<double>(m - block_relevant - i) / static_cast<double>(m - i) : 0.0;
      }
      hit = 1.0 - miss;
      decided = true;  // the first block holding a relevant row inside the top k decides
    }
    begin = end;
  }
  return any_relevant ? hit : std::numeric_limits<double>::quiet_NaN();
}

GroupedResult evaluate_hit_rate(const SortedGroups& groups, std::size_t k) {
  return average_over_groups(
      groups, [&](std::span<const ScoredSample> rows) { return GroupScore{hit_rate_at_k(rows, k), 1.0}; });
}

HitRateAtK::HitRateAtK(std::size_t k) : k_(k) {
  RECO_CHECK_GE(k, std::size_t{1}) << "hit_rate: cut-off k must be >= 1";
}

void HitRateAtK::merge(const HitRateAtK& other) {
  RECO_CHECK_EQ(k_, other.k_) << "hit_rate: cannot merge accumulators with different k";
  rows_.merge(other.rows_);
}

}  // namespace reco::eval
