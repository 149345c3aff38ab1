// GroupedAccumulator: stored (group id, score, label, weight) rows for per-query / per-user
// metrics (NDCG@k, GAUC, Recall@k, HitRate@k).
//
// Layout: std::vector<GroupedRow>, 32 bytes per row, insertion order; rows of one group need
// not be contiguous. merge() concatenates. sorted() builds a SortedGroups copy: rows ordered
// by group id ascending, then score descending, label ascending, weight ascending — a total
// order, so results do not depend on insertion order or on how the rows were sharded.
// Labels are stored as given (graded gains allowed); each metric checks the labels it needs
// when it evaluates. NaN labels are masked at add(); scores must be finite; w >= 0.
// Not thread-safe: one per thread, then merge().
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "reco/eval/compensated_sum.h"
#include "reco/eval/scored_samples.h"

namespace reco::eval {

struct GroupedRow {
  uint64_t group;
  double score;
  double label;
  double weight;
};

/// Rows split into groups, each group's rows in canonical order (see scored_samples.h).
class SortedGroups {
 public:
  explicit SortedGroups(std::vector<GroupedRow> rows);
  std::size_t size() const { return group_ids_.size(); }
  uint64_t group_id(std::size_t g) const { return group_ids_[g]; }
  std::span<const ScoredSample> rows(std::size_t g) const {
    return std::span<const ScoredSample>(rows_).subspan(starts_[g], starts_[g + 1] - starts_[g]);
  }

 private:
  std::vector<ScoredSample> rows_;
  std::vector<uint64_t> group_ids_;
  std::vector<std::size_t> starts_;  // size() + 1 offsets into rows_
};

/// Outcome of a grouped metric: the weighted mean over the groups where it is defined.
struct GroupedResult {
  double value = std::numeric_limits<double>::quiet_NaN();  ///< NaN when no group was usable
  uint64_t groups_used = 0;
  uint64_t groups_skipped = 0;  ///< groups where the per-group metric is undefined
};

/// One group's contribution: `value` NaN means "undefined here, skip and count".
struct GroupScore {
  double value;
  double weight;
};

/// value = sum_g weight_g * value_g / sum_g weight_g over groups whose value is not NaN.
template <typename PerGroup>
GroupedResult average_over_groups(const SortedGroups& groups, PerGroup&& per_group) {
  GroupedResult result;
  CompensatedSum weighted;
  CompensatedSum weights;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const GroupScore s = per_group(groups.rows(g));
    if (s.value != s.value) {  // NaN
      ++result.groups_skipped;
      continue;
    }
    ++result.groups_used;
    weighted.add(s.weight * s.value);
    weights.add(s.weight);
  }
  if (weights.value() > 0.0) result.value = weighted.value() / weights.value();
  return result;
}

class GroupedAccumulator {
 public:
  /// `metric` names the owner in error messages (a string literal: it is not copied).
  explicit GroupedAccumulator(const char* metric = "grouped") : metric_(metric) {}
  void add(uint64_t group, double score, double label, double weight = 1.0);
  void merge(const GroupedAccumulator& other);
  SortedGroups sorted() const { return SortedGroups(rows_); }
  uint64_t count() const { return rows_.size(); }
  uint64_t masked() const { return masked_; }
  void reserve(std::size_t n) { rows_.reserve(n); }

 private:
  const char* metric_;
  std::vector<GroupedRow> rows_;
  uint64_t masked_ = 0;
};

}  // namespace reco::eval
