// ModelSpec — the architecture of a CTR-style model, as read from the [model] table of a
// training config and embedded (as JSON) in every model file.
//
//   kind = "dlrm"       bottom MLP on the dense vector; embeddings of dim embedding_dim;
//                       interaction (dot | cat) over [bottom output, embeddings]; top MLP
//                       -> 1 logit. The bottom MLP's last size must equal embedding_dim.
//   kind = "mlp"        concat(dense, embeddings) -> top MLP -> 1 logit
//   kind = "wide_deep"  the mlp plus a wide part: a linear term over the dense vector and a
//                       scalar weight per id of every sparse feature (dim-1 tables), summed
//                       into the logit (Cheng et al. 2016)
//   kind = "lr"         the wide part alone: logistic regression over dense + one-hot ids
//
// Every MLP's hidden layers use `activation` (and `dropout` during training); the final
// layer of the top MLP is linear and outputs the logit, so `top` must end with 1.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/nn/activation.h"
#include "reco/nn/embedding_bag.h"
#include "reco/nn/interaction.h"

namespace reco::models {

enum class ModelKind : uint8_t { kDlrm, kMlp, kWideDeep, kLogistic };
ModelKind parse_model_kind(std::string_view name);
std::string_view model_kind_name(ModelKind kind);

struct ModelSpec {
  ModelKind kind = ModelKind::kDlrm;
  size_t embedding_dim = 16;
  float embedding_init = 0.0f;  ///< U(-s, s); 0 = 1/sqrt(table rows) (DLRM); Airbnb used 1
  nn::Pooling pooling = nn::Pooling::kSum;
  std::vector<size_t> bottom = {512, 256, 64, 16};
  std::vector<size_t> top = {512, 256, 1};
  nn::InteractionKind interaction = nn::InteractionKind::kDot;
  bool self_interaction = false;
  nn::Activation activation = nn::Activation::kRelu;
  float dropout = 0.0f;

  void validate() const;  ///< kInvalidArgument naming the field
  nlohmann::json to_json() const;
  static ModelSpec from_json(const nlohmann::json& j);
};

}  // namespace reco::models
