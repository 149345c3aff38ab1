#include "reco/eval/pr_auc.h"

#include <limits>

#include "reco/eval/compensated_sum.h"

namespace reco::eval {

double average_precision(std::span<const ScoredSample> rows) {
  double positive_total = 0.0;
  for (const auto& r : rows) {
    if (r.label != 0.0) positive_total += r.weight;
  }
  if (!(positive_total > 0.0)) return std::numeric_limits<double>::quiet_NaN();
  CompensatedSum area;  // sum over blocks of (recall step) * precision
  double tp = 0.0;
  double fp = 0.0;
  for (std::size_t begin = 0; begin < rows.size();) {
    const std::size_t end = tie_block_end(rows, begin);
    double block_pos = 0.0;
    for (std::size_t i = begin; i < end; ++i) {
      (rows[i].label != 0.0 ? block_pos : fp) += rows[i].weight;
    }
    tp += block_pos;
    // tp > 0 here whenever block_pos > 0, so the precision is well defined.
    if (block_pos > 0.0) area.add((block_pos / positive_total) * (tp / (tp + fp)));
    begin = end;
  }
  return area.value();
}

double PrAuc::value() const {
  const auto sorted = rows_.sorted();
  return average_precision(sorted);
}

}  // namespace reco::eval
