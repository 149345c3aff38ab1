// ExactIndex: brute-force k-nearest-neighbour search, the oracle every approximate index
// is measured against. Scores come from blocked sgemm (a block of queries × a block of
// items, items blocked to stay in cache), each query keeping a k-sized heap.
//
// Data layout and ownership: the index owns a row-major copy of the vectors [n × dim]
// (unit-normalised when the metric is cosine), so it outlives whatever it was built from.
// Ties are broken by the smaller row: results are deterministic and independent of the
// thread count and the blocking. OpenBLAS is kept single-threaded; the parallelism is
// ours (ctx.threads over query blocks).
#pragma once

#include <span>
#include <vector>

#include "reco/retrieval/vector_index.h"

namespace reco {

class ExactIndex final : public VectorIndex {
 public:
  /// vectors: row-major [n × dim], n = vectors.size() / dim. dim >= 1.
  ExactIndex(std::span<const float> vectors, uint32_t dim, EmbeddingMetric metric);
  /// The item table of an embeddings file (copied).
  static ExactIndex from_items(const Embeddings& e) {
    return ExactIndex(e.items().vectors(), e.dim(), e.metric());
  }

  size_t size() const override { return n_; }
  uint32_t dim() const override { return dim_; }
  EmbeddingMetric metric() const override { return metric_; }

  std::vector<Neighbor> search(std::span<const float> query, size_t k, const RowFilter& filter = {}) const override;
  std::vector<std::vector<Neighbor>> search_batch(std::span<const float> queries, size_t k, const RunContext& ctx,
                                                  const RowFilter& filter = {}) const override;

  /// The stored (normalised for cosine) vector of a row.
  std::span<const float> vector(uint32_t row) const { return {vectors_.data() + size_t(row) * dim_, dim_}; }

 private:
  /// q_count queries at `queries` (row-major, already normalised when cosine) -> out[0..q_count).
  void search_block(const float* queries, size_t q_count, size_t k, const std::vector<char>* keep,
                    std::vector<Neighbor>* out) const;

  std::vector<float> vectors_;
  size_t n_ = 0;
  uint32_t dim_ = 0;
  EmbeddingMetric metric_ = EmbeddingMetric::kDot;
};

}  // namespace reco
