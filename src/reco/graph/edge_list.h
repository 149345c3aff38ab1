// EdgeList: the input of a graph build — (left, right[, weight]) edges with nodes already
// densified to u32 indices, plus each index's raw u64 id. Sources:
//   - two id columns of a dataset file (reco/data/dataset.h): u32 id columns map through
//     their vocabulary to the raw token parsed as an unsigned integer when every token is
//     one (Taobao's numeric ids), else the vocabulary id itself is the raw id; i64 columns
//     (e.g. raw integer ids) are used as they are (negative values as their two's
//     complement). Rows whose id is the OOV slot are skipped (counted);
//   - a CSV edge list "left,right[,weight]" (optional header line; '#' comments);
//   - any producer through add() (sessions, tests).
// Indices not used by any edge are allowed (the builder drops isolated nodes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reco/graph/id_map.h"

namespace reco {
class Dataset;
}

namespace reco::graph {

struct EdgeList {
  std::vector<uint64_t> left_ids, right_ids;  ///< raw id of each dense index
  std::vector<uint32_t> left, right;          ///< per edge: dense indices
  std::vector<float> weights;                 ///< empty (all 1) or one per edge
  uint64_t skipped = 0;                       ///< input rows dropped (OOV id)
  /// Indices [0, unused_*) are reserved and never used by an edge (a vocabulary's OOV
  /// slot); the build does not count them as isolated nodes.
  uint32_t unused_left = 0, unused_right = 0;
  std::string left_name = "left", right_name = "right";
  std::string ids;                            ///< "raw" | "vocab" | "mixed": how raw ids were formed

  size_t size() const { return left.size(); }
};

/// Incremental builder keyed by raw ids (CSV, tests).
class EdgeListBuilder {
 public:
  void add(uint64_t left, uint64_t right, float weight = 1.0f, bool weighted = false);
  /// Moves the edges out; weights are kept only if any add() passed weighted = true.
  EdgeList finish();

 private:
  IdMap left_map_, right_map_;
  EdgeList edges_;
  bool weighted_ = false;
};

/// Raw id of every index of an id column: see the file comment. `how` gets "raw" or "vocab".
/// `valid[i]` is 0 for the OOV slot. Throws kInvalidArgument for other storages.
std::vector<uint64_t> column_raw_ids(const Dataset& data, const std::string& column, std::vector<uint8_t>& valid,
                                     std::string& how);

/// Edges (left column value, right column value) per row (u32 or i64 columns);
/// weight_column "" = unweighted, else an f32 column. Missing columns throw kNotFound naming the column and the file.
EdgeList read_dataset_edges(const Dataset& data, const std::string& left_column, const std::string& right_column,
                            const std::string& weight_column = "");

/// Edges from a CSV file "left,right[,weight]" (plain or gzip); errors name file:line.
EdgeList read_csv_edges(const std::string& path);

}  // namespace reco::graph
