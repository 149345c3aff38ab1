// TrainConfig — everything `reco train --config FILE` needs, read from one TOML file:
//
//   [data]       path (dataset file, relative to the config file), eval ("validation" |
//                "test" | "none"), dense / sparse (column lists or ["*"]), exclude, label, weight
//   [[task]]     optional, one per model output: name, label, mask, loss_weight
//                (models::Task); without them the model has one task on data.label
//   [model]      models::ModelSpec keys (kind, embedding_dim, embedding_init, pooling, bottom,
//                top, interaction, self_interaction, activation, dropout, head, shared,
//                experts, expert, tower, task_weighting)
//   [position]   method ("none" | "feature" | "tower" | "ipw"), column (default "position"),
//                max_position (0 = the column's maximum), dropout, cross (tower), slice and
//                clip (ipw) — see models/position_bias.h
//   [optimizer]  optim::OptimizerConfig keys (see optim/optimizer_config.h)
//   [train]      batch_size, epochs, max_steps, loss, shuffle, metrics, monitor, patience,
//                keep_best, checkpoint, resume, eval_batch_size, threads, seed
//   [calibration] method ("none" | "platt" | "isotonic", every head; default none: only the
//                negative-downsampling correction), heads = {task = method} overrides,
//                bins (reliability diagram bins, default 10)
//   [utility]    weights = {task = w}: the utility weights stored with the model (default 1
//                per head; heads not named get 0 once any is named)
//   [output]     model (path of the model file to write)
//
// Unknown tables or keys are errors naming the file, the line and the valid keys: a typo
// must not silently train a different model.
#pragma once

#include <map>
#include <string>

#include "reco/models/feature_map.h"
#include "reco/models/model_spec.h"
#include "reco/train/trainer.h"

namespace reco::train {

struct TrainConfig {
  std::string data_path;
  std::string eval_split = "validation";
  models::FeatureSelection features;
  models::ModelSpec model;
  TrainOptions train;
  int threads = 1;
  uint64_t seed = 42;
  std::string calibration = "none";
  std::map<std::string, std::string> calibration_heads;  ///< per-task override of `calibration`
  int calibration_bins = 10;
  std::map<std::string, double> utility_weights;          ///< empty = 1 per head
  std::string output_model;
  std::string source_text;  ///< the TOML text, stored in the model file
};

TrainConfig load_train_config(const std::string& path);

/// Per head (in `features.tasks` order): its calibration method (calibration.heads override,
/// else calibration.method) and its utility weight (utility.weights; 1 each when none is
/// given, 0 for heads not named). A name in either table that is no task is an error
/// naming `config_name` and the key.
std::vector<std::string> head_calibration_methods(const TrainConfig& config, const models::FeatureMap& features,
                                                  const std::string& config_name);
std::vector<double> head_utility_weights(const TrainConfig& config, const models::FeatureMap& features,
                                         const std::string& config_name);
TrainConfig parse_train_config(std::string_view text, const std::string& source_name, const std::string& base_dir);

}  // namespace reco::train
