// VectorIndex: k-nearest-neighbour search by similarity over the rows of one embedding
// table. Two implementations: ExactIndex (blocked sgemm brute force, the oracle) and
// HnswIndex (hnswlib graph, approximate). Both speak rows (0..size-1, the row order of the
// vectors they were built from); callers map rows to raw ids through their EmbeddingTable.
//
// Scores: metric kDot ranks by the inner product <q, x>; metric kCosine normalises every
// vector at build and every query at search, so the score is the cosine in [-1, 1]. Higher
// is better. Results are best first; among equal scores the smaller row comes first in
// ExactIndex (HNSW scores are recomputed by hnswlib in its own order and sorted the same
// way, but an approximate index may of course miss a tied row).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "reco/core/context.h"
#include "reco/core/parallel_for.h"
#include "reco/retrieval/embeddings.h"

namespace reco {

struct Neighbor {
  uint32_t row = 0;
  float score = 0.0f;
};

/// Keep row r when it returns true; empty = keep all. Called concurrently from search
/// threads in batch search: it must be thread-safe (const).
using RowFilter = std::function<bool(uint32_t row)>;

/// The order of results: higher score first, then the smaller row.
inline bool better_neighbor(const Neighbor& a, const Neighbor& b) {
  return a.score > b.score || (a.score == b.score && a.row < b.row);
}

/// Scales v to unit L2 norm in place (a zero vector stays zero).
inline void normalize_in_place(std::span<float> v) {
  double s = 0.0;
  for (float x : v) s += double(x) * x;
  if (s <= 0.0) return;
  const float inv = static_cast<float>(1.0 / std::sqrt(s));
  for (float& x : v) x *= inv;
}

/// Recall of `got` against the exact lists `truth` (got[q] and truth[q] answer the same
/// query): the share of truth's rows that got returned, pooled over all queries; 1 when truth
/// holds no rows. Rows within one list are distinct, as every index returns them.
inline double neighbor_recall(const std::vector<std::vector<Neighbor>>& got,
                              const std::vector<std::vector<Neighbor>>& truth) {
  size_t hit = 0, total = 0;
  for (size_t q = 0; q < truth.size(); ++q) {
    for (const Neighbor& t : truth[q])
      for (const Neighbor& g : got[q]) hit += g.row == t.row;
    total += truth[q].size();
  }
  return total == 0 ? 1.0 : double(hit) / double(total);
}

class VectorIndex {
 public:
  virtual ~VectorIndex() = default;

  virtual size_t size() const = 0;
  virtual uint32_t dim() const = 0;
  virtual EmbeddingMetric metric() const = 0;

  /// At most k rows (fewer when fewer pass the filter), best first. query.size() must be
  /// dim(). Thread-safe.
  virtual std::vector<Neighbor> search(std::span<const float> query, size_t k,
                                       const RowFilter& filter = {}) const = 0;

  /// queries: row-major [n × dim]; one result list per query. Parallel over queries with
  /// ctx.threads; results do not depend on the thread count. The default runs search()
  /// per query; ExactIndex overrides it with query-block sgemm.
  virtual std::vector<std::vector<Neighbor>> search_batch(std::span<const float> queries, size_t k,
                                                          const RunContext& ctx,
                                                          const RowFilter& filter = {}) const {
    const size_t d = dim();
    const size_t n = d == 0 ? 0 : queries.size() / d;
    std::vector<std::vector<Neighbor>> out(n);
    parallel_for(ctx.threads, 0, n, [&](size_t b, size_t e, int) {
      for (size_t q = b; q < e; ++q) out[q] = search(queries.subspan(q * d, d), k, filter);
    });
    return out;
  }
};

}  // namespace reco
