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
// Multi-task heads (head != "single"; see task_heads.h): the input stage above (mlp or dlrm,
// without its top MLP's logit) feeds T task towers:
//   head = "shared_bottom"  shared MLP `shared` (may be empty), then one `tower` per task
//   head = "mmoe"           `experts` expert MLPs of sizes `expert`, one softmax gate per task
//   head = "esmm"           one `tower` per task over the shared input, chained probabilities
//                           p_t = prod_{j<=t} sigmoid(logit_j) (ESMM: CTR, CTCVR; ESM2 longer)
// The heads' input is the mlp stage's concatenated features or dlrm's interaction output;
// `top` is not used by multi-task heads (`shared` / `expert` take its place). `task_weighting` = "fixed" (the tasks' loss weights) or "uncertainty"
// (Kendall et al. 2018: learned log-variances s_t, loss = sum_t w_t exp(-s_t) L_t + s_t / 2).
//
// Every MLP's hidden layers use `activation` (and `dropout` during training); the final
// layer of the top MLP is linear and outputs the logit, so `top` must end with 1.
//
// precision = "fp32" (default) | "bf16": the GEMMs of the bottom and top MLPs (nn/precision.h);
// bf16 needs oneDNN with a native bf16 kernel (the model fails to build otherwise) and is not
// yet wired into multi-task heads (validate() rejects the combination). to_json writes the key
// only for bf16, so fp32 model files are unchanged; a bf16 model scores in bf16 after reload,
// the same scores it gave during training.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/nn/activation.h"
#include "reco/nn/embedding_bag.h"
#include "reco/nn/interaction.h"
#include "reco/nn/precision.h"

namespace reco::models {

enum class ModelKind : uint8_t { kDlrm, kMlp, kWideDeep, kLogistic };
enum class HeadKind : uint8_t { kSingle, kSharedBottom, kMmoe, kEsmm };
HeadKind parse_head_kind(std::string_view name);
std::string_view head_kind_name(HeadKind kind);
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
  nn::Precision precision = nn::Precision::kFp32;
  // Multi-task heads.
  HeadKind head = HeadKind::kSingle;
  std::vector<size_t> shared;           ///< shared_bottom: shared MLP sizes (hidden; may be empty)
  size_t experts = 0;                   ///< mmoe
  std::vector<size_t> expert;           ///< mmoe: each expert's MLP sizes
  std::vector<size_t> tower = {1};      ///< per-task tower sizes, ending with 1
  bool uncertainty_weighting = false;   ///< task_weighting = "uncertainty"

  bool multi_task() const { return head != HeadKind::kSingle; }
  bool chained() const { return head == HeadKind::kEsmm; }
  void validate() const;  ///< kInvalidArgument naming the field
  nlohmann::json to_json() const;
  static ModelSpec from_json(const nlohmann::json& j);
};

}  // namespace reco::models
