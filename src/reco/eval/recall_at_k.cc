#include "reco/eval/recall_at_k.h"

#include <algorithm>
#include <limits>

#include "reco/core/error.h"

namespace reco::eval {

double recall_at_k(std::span<const ScoredSample> rows, std::size_t k) {
  double relevant = 0.0;
  double expected_hits = 0.0;
  for (std::size_t begin = 0; begin < rows.size();) {
    const std::size_t end = tie_block_end(rows, begin);
    double block_relevant = 0.0;
    for (std::size_t i = begin; i < end; ++i) block_relevant += rows[i].label > 0.0 ? 1.0 : 0.0;
    const std::size_t inside = begin < k ? std::min(end, k) - begin : 0;
    expected_hits += block_relevant * static_cast<double>(inside) / static_cast<double>(end - begin);
    relevant += block_relevant;
    begin = end;
  }
  return relevant > 0.0 ? expected_hits / relevant : std::numeric_limits<double>::quiet_NaN();
}

GroupedResult evaluate_recall(const SortedGroups& groups, std::size_t k) {
  return average_over_groups(groups,
                             [&](std::span<const ScoredSample> rows) { return GroupScore{recall_at_k(rows, k), 1.0}; });
}

RecallAtK::RecallAtK(std::size_t k) : k_(k) { RECO_CHECK_GE(k, std::size_t{1}) << "recall: cut-off k must be >= 1"; }

void RecallAtK::merge(const RecallAtK& other) {
  RECO_CHECK_EQ(k_, other.k_) << "recall: cannot merge accumulators with different k";
  rows_.merge(other.rows_);
}

}  // namespace reco::eval
