#include "reco/eval/grouped_accumulator.h"

#include <algorithm>

#include "reco/eval/checks.h"

namespace reco::eval {

SortedGroups::SortedGroups(std::vector<GroupedRow> rows) {
  std::sort(rows.begin(), rows.end(), [](const GroupedRow& a, const GroupedRow& b) {
    if (a.group != b.group) return a.group < b.group;
    if (a.score != b.score) return a.score > b.score;
    if (a.label != b.label) return a.label < b.label;
    return a.weight < b.weight;
  });
  rows_.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i == 0 || rows[i].group != rows[i - 1].group) {
      group_ids_.push_back(rows[i].group);
      starts_.push_back(i);
    }
    rows_.push_back({rows[i].score, rows[i].label, rows[i].weight});
  }
  starts_.push_back(rows.size());
}

void GroupedAccumulator::add(uint64_t group, double score, double label, double weight) {
  if (is_masked(label)) {
    ++masked_;
    return;
  }
  check_score(metric_, score);
  check_finite_label(metric_, label);
  check_weight(metric_, weight);
  rows_.push_back({group, score + 0.0, label, weight});  // + 0.0: -0.0 ties with +0.0 bitwise
}

void GroupedAccumulator::merge(const GroupedAccumulator& other) {
  rows_.insert(rows_.end(), other.rows_.begin(), other.rows_.end());
  masked_ += other.masked_;
}

}  // namespace reco::eval
