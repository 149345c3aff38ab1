#include "reco/eval/gauc.h"

#include "reco/core/error.h"
#include "reco/eval/checks.h"
#include "reco/eval/roc_auc.h"

namespace reco::eval {

GroupedResult evaluate_gauc(const SortedGroups& groups, GaucWeighting weighting) {
  return average_over_groups(groups, [&](std::span<const ScoredSample> rows) {
    double impressions = 0.0;
    double clicks = 0.0;
    for (const auto& r : rows) {
      check_binary_label("gauc", r.label);
      impressions += r.weight;
      clicks += r.weight * r.label;
    }
    return GroupScore{roc_auc(rows), weighting == GaucWeighting::kImpressions ? impressions : clicks};
  });
}

void Gauc::add(uint64_t group, double score, double label, double weight) {
  if (!is_masked(label)) check_binary_label("gauc", label);
  rows_.add(group, score, label, weight);
}

void Gauc::merge(const Gauc& other) {
  RECO_CHECK(weighting_ == other.weighting_) << "gauc: cannot merge accumulators with different weightings";
  rows_.merge(other.rows_);
}

}  // namespace reco::eval
