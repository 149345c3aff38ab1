// FeatureMap — which dataset columns feed a model, and how.
//
//   dense    role-dense f32 columns, in order: the model's dense input vector [num_dense]
//   sparse   categorical (u32, one id per row) or multi_hot columns; each becomes one
//            embedding table of `rows` = the column's cardinality
//   label    the target column (role label) — of the first task
//   tasks    one entry per model output: a name, its label column, an optional mask column
//            (rows where the mask is 0 or NaN do not count for the task: e.g. CVR defined on
//            clicked rows only) and a loss weight. A single-task model has one task named
//            after its label. One row carries every task's label at once.
//   weight   optional sample-weight column (role weight), shared by all tasks
//   position how the logged position is handled (position_bias.h); method "none" by default
//
// A model file stores its FeatureMap; scoring another dataset re-binds the columns by name
// and checks roles and cardinalities (an id >= the table's rows cannot be looked up).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/models/position_bias.h"

namespace reco {
class Dataset;
}

namespace reco::models {

struct SparseFeature {
  std::string column;
  uint32_t rows = 0;       ///< table rows = column cardinality
  bool multi_hot = false;  ///< CSR column (several ids per row, optional per-id weights)
};

struct Task {
  std::string name;
  std::string label;
  std::string mask;          ///< "" = every row counts
  float loss_weight = 1.0f;
};

struct FeatureMap {
  std::vector<std::string> dense;
  std::vector<SparseFeature> sparse;
  std::string label;
  std::string weight;  ///< "" = unweighted
  std::vector<Task> tasks;  ///< never empty after resolve_features / from_json
  PositionBias position;

  std::vector<std::string> task_names() const;

  nlohmann::json to_json() const;
  static FeatureMap from_json(const nlohmann::json& j);
};

/// Selection as written in a config: a list of names, or {"*"} for every column of the role.
struct FeatureSelection {
  std::vector<std::string> dense = {"*"};
  std::vector<std::string> sparse = {"*"};
  std::vector<std::string> exclude;  ///< removed from "*" expansions
  std::string label;                 ///< "" = the dataset's first label column
  std::string weight;                ///< "" = none
  std::vector<Task> tasks;           ///< [[task]] tables; empty = one task on `label`
  PositionBias position;             ///< [position]; max_position 0 = the column's maximum
};

/// The mask rule of a Task: a row counts for the task unless its mask value is 0 or NaN.
inline bool mask_excludes(float mask_value) { return mask_value == 0.0f || mask_value != mask_value; }

/// Task `task`'s labels of `rows` of `dataset`, NaN where the task's mask excludes the row.
std::vector<float> task_labels(const Task& task, const Dataset& dataset, std::span<const uint64_t> rows);

/// Resolves a selection against a dataset (kNotFound / kInvalidArgument naming the column
/// and its role when it does not fit).
FeatureMap resolve_features(const FeatureSelection& selection, const Dataset& dataset);

/// Checks that `dataset` has every column of `map` with a compatible role and a
/// cardinality <= the table rows (the label only when require_label).
void check_features(const FeatureMap& map, const Dataset& dataset, bool require_label);

}  // namespace reco::models
