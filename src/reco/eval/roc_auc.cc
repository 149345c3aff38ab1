#include "reco/eval/roc_auc.h"

#include <limits>

#include "reco/eval/compensated_sum.h"

namespace reco::eval {

double roc_auc(std::span<const ScoredSample> rows) {
  // Walk tie blocks from the highest score down. For each block, every negative in it is
  // beaten by all positive weight seen above (full credit) and half of the block's own
  // positive weight (ties).
  CompensatedSum pairs;      // sum of w_i w_j credit over (positive, negative) pairs
  double positive_above = 0.0;
  double negative_total = 0.0;
  for (std::size_t begin = 0; begin < rows.size();) {
    const std::size_t end = tie_block_end(rows, begin);
    double block_pos = 0.0;
    double block_neg = 0.0;
    for (std::size_t i = begin; i < end; ++i) {
      (rows[i].label != 0.0 ? block_pos : block_neg) += rows[i].weight;
    }
    pairs.add(block_neg * (positive_above + 0.5 * block_pos));
    positive_above += block_pos;
    negative_total += block_neg;
    begin = end;
  }
  if (!(positive_above > 0.0) || !(negative_total > 0.0)) return std::numeric_limits<double>::quiet_NaN();
  return pairs.value() / (positive_above * negative_total);
}

double RocAuc::value() const {
  const auto sorted = rows_.sorted();
  return roc_auc(sorted);
}

}  // namespace reco::eval
