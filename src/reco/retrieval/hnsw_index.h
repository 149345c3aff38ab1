// HnswIndex: approximate k-nearest-neighbour search with hnswlib's HNSW graph
// (Malkov & Yashunin) over inner products. Cosine is inner product over unit vectors:
// vectors are normalised at build, queries at search. hnswlib ranks by the distance
// 1 - <q, x>; scores are reported as <q, x> (1 - distance).
//
// Build: rows are added with label = row. ctx.threads == 1 adds them in row order on the
// calling thread, which with a fixed seed gives the same graph every time; more threads
// add rows concurrently (hnswlib's fine-grained locks; the graph then depends on timing).
// Filters: this hnswlib (0.6.x) has no filter hook in its search, so a filtered search
// over-fetches: k' = k, 2k, 4k, ... until k rows pass or k' covers the index; each extra
// round is counted (filter_refetches()).
//
// File: container kind "ann", version 1. Sections:
//   "meta"        JSON: {"M", "ef_construction", "ef_search", "seed", "dim", "metric",
//                 "rows", "max_level", "entry_point", "source_items", "source_ids_checksum"}
//   "level0"      the hnswlib level-0 block: rows × (links0 | vector | label), as hnswlib lays it out
//   "levels"      i32 [rows]: the top level of each element
//   "upper_links" the upper-level link lists of elements with level > 0, concatenated in
//                 element order (level × size_links_per_element bytes each)
// The source embeddings file is identified by its item count and the XXH3-64 of its item
// ids (items_checksum); load rejects an index paired with another file.
// Ownership: the index owns its hnswlib graph (which holds its own copy of the vectors).
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <string>

#include "reco/retrieval/vector_index.h"

namespace hnswlib {
template <typename T>
class HierarchicalNSW;
class InnerProductSpace;
}  // namespace hnswlib

namespace reco {

inline constexpr std::string_view kAnnKind = "ann";
inline constexpr uint32_t kAnnVersion = 1;

struct HnswOptions {
  size_t M = 16;                 ///< links per element per upper level (2M at level 0)
  size_t ef_construction = 200;  ///< candidate list size while inserting
  size_t ef_search = 64;         ///< candidate list size while searching (>= k is used)
  uint64_t seed = 42;            ///< hnswlib's level generator seed
};

/// XXH3-64 of an item table's ids: the fingerprint an index keeps of its source.
uint64_t items_checksum(const EmbeddingTable& items);

class HnswIndex final : public VectorIndex {
 public:
  /// vectors: row-major [n × dim]. Deterministic for ctx.threads == 1.
  static std::unique_ptr<HnswIndex> build(std::span<const float> vectors, uint32_t dim, EmbeddingMetric metric,
                                          const HnswOptions& options, const RunContext& ctx);
  /// The item table of an embeddings file; remembers its fingerprint for save().
  static std::unique_ptr<HnswIndex> build(const Embeddings& source, const HnswOptions& options,
                                          const RunContext& ctx);
  /// Reads an index saved by save(). `source` must be the embeddings file it was built from
  /// (same item count, ids, dim and metric): kInvalidArgument otherwise.
  static std::unique_ptr<HnswIndex> load(const std::string& path, const Embeddings& source);

  /// Atomic write (container). Needs the fingerprint of an embeddings source (build from
  /// Embeddings, or load).
  void save(const std::string& path) const;

  ~HnswIndex() override;
  HnswIndex(const HnswIndex&) = delete;
  HnswIndex& operator=(const HnswIndex&) = delete;

  size_t size() const override { return n_; }
  uint32_t dim() const override { return dim_; }
  EmbeddingMetric metric() const override { return metric_; }
  const HnswOptions& options() const { return options_; }

  std::vector<Neighbor> search(std::span<const float> query, size_t k, const RowFilter& filter = {}) const override;

  /// Changes ef_search for later searches. Not thread-safe: no search may run meanwhile.
  void set_ef_search(size_t ef);
  /// Over-fetch rounds beyond the first taken by filtered searches so far.
  uint64_t filter_refetches() const { return refetches_.load(std::memory_order_relaxed); }

 private:
  HnswIndex(uint32_t dim, EmbeddingMetric metric, const HnswOptions& options);
  std::vector<Neighbor> search_unfiltered(const float* query, size_t k) const;

  uint32_t dim_ = 0;
  EmbeddingMetric metric_ = EmbeddingMetric::kDot;
  HnswOptions options_;
  size_t n_ = 0;
  bool has_source_ = false;
  uint64_t source_items_ = 0, source_checksum_ = 0;
  std::unique_ptr<hnswlib::InnerProductSpace> space_;  // before graph_: the graph points into it
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph_;
  mutable std::atomic<uint64_t> refetches_{0};
};

}  // namespace reco
