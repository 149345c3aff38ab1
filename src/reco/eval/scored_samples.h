// ScoredSamples: the stored (score, label, weight) rows behind the exact ranking metrics
// (RocAuc, PrAuc). Unlike the pointwise metrics these cannot be summarised in O(1) state:
// exactness with ties needs every score, so we keep them all and sort once in value().
//
// Layout: std::vector<ScoredSample>, 24 bytes per row, in insertion order; merge() appends.
// sorted() returns a sorted copy (value() stays const and the accumulator stays reusable),
// so evaluation needs a second 24 bytes per row transiently.
// Order: score descending, then label ascending, then weight ascending. The tie-breaks make
// the sorted sequence (and so every sum over it) independent of insertion order, which is
// why merge(a, b) gives bit-identical values to one pass over a+b.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace reco::eval {

struct ScoredSample {
  double score;
  double label;
  double weight;
};

/// Sorts rows into the canonical order above (score desc, label asc, weight asc).
void sort_by_score_desc(std::span<ScoredSample> rows);

/// End (exclusive) of the run of rows tied with rows[begin].score; rows must be sorted.
inline std::size_t tie_block_end(std::span<const ScoredSample> rows, std::size_t begin) {
  std::size_t end = begin + 1;
  while (end < rows.size() && rows[end].score == rows[begin].score) ++end;
  return end;
}

class ScoredSamples {
 public:
  /// `metric` names the owner in error messages (a string literal: it is not copied).
  explicit ScoredSamples(const char* metric) : metric_(metric) {}
  /// Stores one row. Binary labels are required (0 or 1); NaN labels are masked.
  void add(double score, double label, double weight);
  void merge(const ScoredSamples& other);
  /// Rows in canonical sorted order (a copy).
  std::vector<ScoredSample> sorted() const;
  uint64_t count() const { return rows_.size(); }
  uint64_t masked() const { return masked_; }
  void reserve(std::size_t n) { rows_.reserve(n); }

 private:
  const char* metric_;
  std::vector<ScoredSample> rows_;
  uint64_t masked_ = 0;
};

}  // namespace reco::eval
