#include "reco/eval/scored_samples.h"

#include <algorithm>

#include "reco/eval/checks.h"

namespace reco::eval {

void sort_by_score_desc(std::span<ScoredSample> rows) {
  std::sort(rows.begin(), rows.end(), [](const ScoredSample& a, const ScoredSample& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.label != b.label) return a.label < b.label;
    return a.weight < b.weight;
  });
}

void ScoredSamples::add(double score, double label, double weight) {
  if (is_masked(label)) {
    ++masked_;
    return;
  }
  check_score(metric_, score);
  check_binary_label(metric_, label);
  check_weight(metric_, weight);
  // + 0.0 folds -0.0 into +0.0 so equal scores are also bitwise equal.
  rows_.push_back({score + 0.0, label, weight});
}

void ScoredSamples::merge(const ScoredSamples& other) {
  rows_.insert(rows_.end(), other.rows_.begin(), other.rows_.end());
  masked_ += other.masked_;
}

std::vector<ScoredSample> ScoredSamples::sorted() const {
  std::vector<ScoredSample> copy = rows_;
  sort_by_score_desc(copy);
  return copy;
}

}  // namespace reco::eval
