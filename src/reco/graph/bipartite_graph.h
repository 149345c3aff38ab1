// BipartiteGraph: an immutable bipartite graph in compressed sparse row (CSR) form in both
// directions. "Left" nodes are the groups (boards, users, sessions), "right" nodes are the
// items (pins, products); a Pixie walk goes right -> left -> right.
//
// Data layout (node indices are dense u32, edges E):
//   left_ids    u64 [n_left]     raw id of left node i (input order of first appearance)
//   right_ids   u64 [n_right]
//   left_order  u32 [n_left]     permutation of 0..n_left-1 sorting left_ids ascending
//   right_order u32 [n_right]    (lookup of a raw id = binary search through it)
//   l2r_offsets u64 [n_left+1]   row i = l2r_targets[l2r_offsets[i], l2r_offsets[i+1])
//   l2r_targets u32 [E]          right node indices, ascending within a row, no duplicates
//   l2r_weights f32 [E]          edge weight (sum over merged duplicates; 1 per input edge
//                                when the input had no weights)
//   r2l_offsets u64 [n_right+1], r2l_targets u32 [E], r2l_weights f32 [E]: the transpose,
//                                rows ascending by left index.
// Every node has degree >= 1 (isolated nodes are dropped at build time).
//
// File: a binary container (reco/core/container.h) of kind "graph", kind version 1, one
// section per array above (same names, '/' for '_': "l2r/offsets", ...) plus "meta" (JSON:
// column names, source, build report). load() maps the file and validates every array
// (sizes, offsets monotone, targets in range, rows strictly ascending, ids unique).
//
// Ownership: arrays are either owned vectors (a freshly built graph) or views into the
// memory-mapped file (a loaded graph); spans stay valid as long as the graph object, and
// moving the graph keeps them valid. Thread-safe for concurrent readers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace reco::graph {

inline constexpr std::string_view kGraphKind = "graph";
inline constexpr uint32_t kGraphVersion = 1;
inline constexpr uint32_t kNoNode = UINT32_MAX;

/// The owned arrays of a graph (what the builder produces).
struct GraphArrays {
  std::vector<uint64_t> left_ids, right_ids;
  std::vector<uint32_t> left_order, right_order;
  std::vector<uint64_t> l2r_offsets, r2l_offsets;
  std::vector<uint32_t> l2r_targets, r2l_targets;
  std::vector<float> l2r_weights, r2l_weights;
};

/// One direction of the graph: rows of neighbour indices with weights.
struct CsrView {
  std::span<const uint64_t> offsets;
  std::span<const uint32_t> targets;
  std::span<const float> weights;
  size_t rows() const { return offsets.empty() ? 0 : offsets.size() - 1; }
  uint32_t degree(uint32_t r) const { return static_cast<uint32_t>(offsets[r + 1] - offsets[r]); }
  std::span<const uint32_t> row(uint32_t r) const {
    return targets.subspan(offsets[r], offsets[r + 1] - offsets[r]);
  }
  std::span<const float> row_weights(uint32_t r) const {
    return weights.subspan(offsets[r], offsets[r + 1] - offsets[r]);
  }
};

class BipartiteGraph {
 public:
  /// Takes ownership of arrays (validated like a loaded file); meta is free JSON.
  static BipartiteGraph from_arrays(GraphArrays arrays, nlohmann::json meta);
  /// Throws kNotFound (missing file), kCorrupt (bad checksum, inconsistent arrays, naming
  /// the file and section), kVersion, kInvalidArgument (not a graph file).
  static BipartiteGraph load(const std::string& path);

  BipartiteGraph(BipartiteGraph&&) noexcept;
  BipartiteGraph& operator=(BipartiteGraph&&) noexcept;
  ~BipartiteGraph();

  /// Atomic write (container). meta() goes to the "meta" section.
  void save(const std::string& path) const;

  uint32_t left_count() const { return static_cast<uint32_t>(left_ids_.size()); }
  uint32_t right_count() const { return static_cast<uint32_t>(right_ids_.size()); }
  uint64_t edge_count() const { return l2r_.targets.size(); }

  const CsrView& left_to_right() const { return l2r_; }
  const CsrView& right_to_left() const { return r2l_; }
  uint64_t left_id(uint32_t i) const { return left_ids_[i]; }
  uint64_t right_id(uint32_t i) const { return right_ids_[i]; }
  std::span<const uint64_t> left_ids() const { return left_ids_; }
  std::span<const uint64_t> right_ids() const { return right_ids_; }

  /// Dense index of a raw id, or kNoNode. O(log n).
  uint32_t find_left(uint64_t id) const;
  uint32_t find_right(uint64_t id) const;

  uint32_t max_right_degree() const;
  uint32_t max_left_degree() const;

  const nlohmann::json& meta() const { return meta_; }

 private:
  BipartiteGraph();
  void validate(const std::string& where) const;

  struct Storage;  // owns either the vectors or the mapped container
  std::unique_ptr<Storage> storage_;
  std::span<const uint64_t> left_ids_, right_ids_;
  std::span<const uint32_t> left_order_, right_order_;
  CsrView l2r_, r2l_;
  nlohmann::json meta_;
};

}  // namespace reco::graph
