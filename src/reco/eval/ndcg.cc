#include "reco/eval/ndcg.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "reco/core/error.h"

namespace reco::eval {

double gain(double label, Gain kind) { return kind == Gain::kExponential ? std::exp2(label) - 1.0 : label; }

double rank_discount(std::size_t position) { return 1.0 / std::log2(static_cast<double>(position) + 2.0); }

double dcg_at_k(std::span<const ScoredSample> rows, std::size_t k, Gain kind) {
  double dcg = 0.0;
  for (std::size_t begin = 0; begin < rows.size() && begin < k;) {
    const std::size_t end = tie_block_end(rows, begin);
    double block_gain = 0.0;
    for (std::size_t i = begin; i < end; ++i) block_gain += gain(rows[i].label, kind);
    double discounts = 0.0;
    for (std::size_t i = begin; i < std::min(end, k); ++i) discounts += rank_discount(i);
    dcg += block_gain / static_cast<double>(end - begin) * discounts;
    begin = end;
  }
  return dcg;
}

double ideal_dcg_at_k(std::span<const ScoredSample> rows, std::size_t k, Gain kind) {
  std::vector<double> labels(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) labels[i] = rows[i].label;
  const std::size_t top = std::min(k, labels.size());
  std::partial_sort(labels.begin(), labels.begin() + static_cast<std::ptrdiff_t>(top), labels.end(),
                    std::greater<>());
  double dcg = 0.0;
  for (std::size_t i = 0; i < top; ++i) dcg += gain(labels[i], kind) * rank_discount(i);
  return dcg;
}

double ndcg_at_k(std::span<const ScoredSample> rows, std::size_t k, Gain kind) {
  for (const auto& r : rows) {
    RECO_CHECK(r.label >= 0.0) << "ndcg: labels are gains and must be >= 0, got " << r.label;
  }
  const double ideal = ideal_dcg_at_k(rows, k, kind);
  if (!(ideal > 0.0)) return std::numeric_limits<double>::quiet_NaN();
  return dcg_at_k(rows, k, kind) / ideal;
}

GroupedResult evaluate_ndcg(const SortedGroups& groups, std::size_t k, Gain kind) {
  return average_over_groups(groups, [&](std::span<const ScoredSample> rows) {
    return GroupScore{ndcg_at_k(rows, k, kind), 1.0};
  });
}

NdcgAtK::NdcgAtK(std::size_t k, Gain kind) : k_(k), kind_(kind) {
  RECO_CHECK_GE(k, std::size_t{1}) << "ndcg: cut-off k must be >= 1";
}

void NdcgAtK::merge(const NdcgAtK& other) {
  RECO_CHECK(k_ == other.k_ && kind_ == other.kind_) << "ndcg: cannot merge accumulators with different k or gain";
  rows_.merge(other.rows_);
}

}  // namespace reco::eval
