// Batch — the rows of one training or scoring step, gathered out of the columnar dataset
// into the layout the model consumes.
//   dense        [size, num_dense] row-major
//   sparse[f]    feature f's ids: one per row (offsets empty) or CSR (offsets [size+1],
//                starting at 0) with optional per-id weights
//   labels       [size * tasks] row-major: row r's label of task t at r * tasks + t
//                (NaN = masked: missing, or the task's mask column is 0 on that row);
//                weights [size] or empty (all 1); task_weights [size * tasks] or empty: per
//                (row, task) weights that replace `weights` (inverse propensity weighting)
//   rows         the dataset row index of each example (for predictions output)
#pragma once

#include <cstdint>
#include <vector>

#include "reco/nn/embedding_bag.h"
#include "reco/nn/tensor.h"

namespace reco::models {

struct SparseInput {
  std::vector<uint32_t> ids;
  std::vector<uint64_t> offsets;  ///< empty for one id per row
  std::vector<float> weights;     ///< empty = all 1
  nn::BagBatch bags() const { return {ids, offsets, weights}; }
};

struct Batch {
  size_t size = 0;
  nn::Tensor dense;
  std::vector<SparseInput> sparse;
  size_t tasks = 1;
  std::vector<float> labels;
  std::vector<float> weights;
  std::vector<float> task_weights;
  std::vector<uint64_t> rows;
};

}  // namespace reco::models
