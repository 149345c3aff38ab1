// OptimizerConfig from a TOML table (the [optimizer] table of a model config) and to/from
// JSON (model files embed the config). Both use the same flat keys:
//
//   kind (alias name)  "sgd" | "adagrad" | "adam" | "lazy_adam"
//   lr                 base learning rate
//   momentum, nesterov                         SGD
//   beta1, beta2, epsilon                      Adam / LazyAdam (epsilon also Adagrad)
//   adagrad_init                               Adagrad initial accumulator
//   weight_decay, decoupled_decay              dense parameters
//   embedding_lr_scale, embedding_weight_decay sparse tables
//   warmup_steps, decay ("none" | "linear" | "cosine" | "inverse_sqrt" | "step" |
//   "polynomial"), decay_start, decay_steps, min_factor, gamma, power   (LrSchedule)
//
// Missing keys keep OptimizerConfig's defaults. Numbers accept integers or floats; step
// counts must be integers; flags booleans; kind and decay strings. Unknown keys, wrong types
// and invalid values throw kInvalidArgument naming `where` (and the TOML line), the key,
// and for an unknown key the valid keys. The result is validate()d.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string_view>
#include <toml++/toml.h>

#include "reco/optim/optimizer.h"

namespace reco::optim {

OptimizerConfig optimizer_config_from_toml(const toml::table& t, std::string_view where);

/// Every key, kind as a string; floats written as their shortest decimal so from_json
/// gives back the identical config.
nlohmann::json optimizer_config_to_json(const OptimizerConfig& config);
OptimizerConfig optimizer_config_from_json(const nlohmann::json& j, std::string_view where);

}  // namespace reco::optim
