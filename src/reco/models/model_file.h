// The model file: a binary container (reco/core/container.h) of kind "model", version 1.
//
// Sections:
//   "meta"            JSON {"format_version":1, "model":"ctr", "spec":ModelSpec, "features":FeatureMap,
//                     "parameters":[{"name","rows","cols","sparse"}...], "scoring":HeadScoring,
//                     "extra":{...}}
//                     extra holds what the trainer knows: the training config, the dataset
//                     it came from (path, rows, downsampling alpha), the per-epoch report.
//   "param/<name>"    f32 [rows * cols], row-major, one per parameter in CtrModel::parameters() order
//   "opt/..."         optional optimizer state (checkpoints only; see optim/optimizer.h)
//   "train_state"     optional JSON: epoch, step, best metric (checkpoints only)
//
// Loading rebuilds the model from spec + features and copies the parameters in; every
// shape is checked against the rebuilt model (kCorrupt naming the parameter). A loaded
// model scores bit-identically to the one saved.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "reco/models/ctr_model.h"
#include "reco/models/head_scoring.h"

namespace reco::optim {
class Optimizer;
}

namespace reco::models {

inline constexpr std::string_view kModelKind = "model";
inline constexpr uint32_t kModelVersion = 1;

struct SaveOptions {
  nlohmann::json extra = nlohmann::json::object();
  const optim::Optimizer* optimizer = nullptr;          ///< checkpoint: also its state
  std::optional<nlohmann::json> train_state;            ///< checkpoint: trainer position
  const HeadScoring* scoring = nullptr;                 ///< null = HeadScoring::identity
};

void save_model(const std::string& path, CtrModel& model, const SaveOptions& options = {});

struct LoadedModel {
  CtrModel model;
  nlohmann::json extra;
  std::optional<nlohmann::json> train_state;
  HeadScoring scoring;
};

LoadedModel load_model(const std::string& path);
/// Restores optimizer state saved with the model (the optimizer must have had the model's
/// parameters add()ed in parameters() order). kNotFound when the file has none.
void load_optimizer_state(const std::string& path, optim::Optimizer& optimizer);

}  // namespace reco::models
