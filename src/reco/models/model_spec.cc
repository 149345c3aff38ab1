#include "reco/models/model_spec.h"

#include "reco/core/error.h"

namespace reco::models {

ModelKind parse_model_kind(std::string_view name) {
  if (name == "dlrm") return ModelKind::kDlrm;
  if (name == "mlp") return ModelKind::kMlp;
  if (name == "wide_deep" || name == "wide_and_deep") return ModelKind::kWideDeep;
  if (name == "lr" || name == "logistic") return ModelKind::kLogistic;
  RECO_THROW(ErrorCode::kInvalidArgument) << "unknown model kind '" << name
                                          << "' (expected dlrm, mlp, wide_deep, lr)";
}

std::string_view model_kind_name(ModelKind kind) {
  switch (kind) {
    case ModelKind::kDlrm: return "dlrm";
    case ModelKind::kMlp: return "mlp";
    case ModelKind::kWideDeep: return "wide_deep";
    case ModelKind::kLogistic: return "lr";
  }
  return "?";
}

HeadKind parse_head_kind(std::string_view name) {
  if (name == "single") return HeadKind::kSingle;
  if (name == "shared_bottom") return HeadKind::kSharedBottom;
  if (name == "mmoe") return HeadKind::kMmoe;
  if (name == "esmm") return HeadKind::kEsmm;
  RECO_THROW(ErrorCode::kInvalidArgument) << "unknown model head '" << name
                                          << "' (expected single, shared_bottom, mmoe, esmm)";
}

std::string_view head_kind_name(HeadKind kind) {
  switch (kind) {
    case HeadKind::kSingle: return "single";
    case HeadKind::kSharedBottom: return "shared_bottom";
    case HeadKind::kMmoe: return "mmoe";
    case HeadKind::kEsmm: return "esmm";
  }
  return "?";
}

void ModelSpec::validate() const {
  RECO_CHECK(embedding_dim > 0) << "model.embedding_dim must be positive";
  RECO_CHECK(dropout >= 0.0f && dropout < 1.0f) << "model.dropout must be in [0, 1), got " << dropout;
  RECO_CHECK(embedding_init >= 0.0f) << "model.embedding_init must be >= 0 (0 = 1/sqrt(rows))";
  RECO_CHECK(precision == nn::Precision::kFp32 || !multi_task())
      << "model.precision = \"bf16\" is not supported with head = " << head_kind_name(head) << " yet (use fp32)";
  if (multi_task()) {
    RECO_CHECK(kind == ModelKind::kMlp || kind == ModelKind::kDlrm)
        << "model.head = " << head_kind_name(head) << " needs kind mlp or dlrm, got " << model_kind_name(kind);
    RECO_CHECK(!tower.empty() && tower.back() == 1)
        << "model.tower must end with 1 (each task's logit), got " << (tower.empty() ? 0 : tower.back());
    for (size_t s : tower) RECO_CHECK(s > 0) << "model.tower sizes must be positive";
    for (size_t s : shared) RECO_CHECK(s > 0) << "model.shared sizes must be positive";
    if (head == HeadKind::kMmoe) {
      RECO_CHECK(experts >= 1) << "model.experts must be >= 1 for head mmoe";
      RECO_CHECK(!expert.empty()) << "model.expert (the expert MLP sizes) must be given for head mmoe";
      for (size_t s : expert) RECO_CHECK(s > 0) << "model.expert sizes must be positive";
    }
  } else {
    RECO_CHECK(!uncertainty_weighting) << "model.task_weighting = \"uncertainty\" needs a multi-task head";
  }
  if (kind == ModelKind::kLogistic) return;
  if (multi_task()) {
    if (kind == ModelKind::kDlrm) {
      RECO_CHECK(!bottom.empty()) << "model.bottom: DLRM needs a bottom MLP";
      RECO_CHECK(interaction == nn::InteractionKind::kConcat || bottom.back() == embedding_dim)
          << "model.bottom ends with " << bottom.back() << " but embedding_dim is " << embedding_dim
          << ": the dot interaction needs them equal";
    }
    return;
  }
  RECO_CHECK(!top.empty() && top.back() == 1)
      << "model.top must end with 1 (the logit), got " << (top.empty() ? 0 : top.back());
  for (size_t s : top) RECO_CHECK(s > 0) << "model.top sizes must be positive";
  if (kind == ModelKind::kDlrm) {
    RECO_CHECK(!bottom.empty()) << "model.bottom: DLRM needs a bottom MLP";
    for (size_t s : bottom) RECO_CHECK(s > 0) << "model.bottom sizes must be positive";
    RECO_CHECK(interaction == nn::InteractionKind::kConcat || bottom.back() == embedding_dim)
        << "model.bottom ends with " << bottom.back() << " but embedding_dim is " << embedding_dim
        << ": the dot interaction needs them equal";
  }
}

nlohmann::json ModelSpec::to_json() const {
  nlohmann::json j = {{"kind", model_kind_name(kind)},
          {"embedding_dim", embedding_dim},
          {"embedding_init", embedding_init},
          {"pooling", nn::pooling_name(pooling)},
          {"bottom", bottom},
          {"top", top},
          {"interaction", nn::interaction_name(interaction)},
          {"self_interaction", self_interaction},
          {"activation", nn::activation_name(activation)},
          {"dropout", dropout},
          {"head", head_kind_name(head)},
          {"shared", shared},
          {"experts", experts},
          {"expert", expert},
          {"tower", tower},
          {"task_weighting", uncertainty_weighting ? "uncertainty" : "fixed"}};
  if (precision != nn::Precision::kFp32) j["precision"] = nn::precision_name(precision);
  return j;
}

ModelSpec ModelSpec::from_json(const nlohmann::json& j) {
  ModelSpec s;
  try {
    s.kind = parse_model_kind(j.at("kind").get<std::string>());
    s.embedding_dim = j.at("embedding_dim").get<size_t>();
    s.embedding_init = j.at("embedding_init").get<float>();
    s.pooling = nn::parse_pooling(j.at("pooling").get<std::string>());
    s.bottom = j.at("bottom").get<std::vector<size_t>>();
    s.top = j.at("top").get<std::vector<size_t>>();
    s.interaction = nn::parse_interaction(j.at("interaction").get<std::string>());
    s.self_interaction = j.at("self_interaction").get<bool>();
    s.activation = nn::parse_activation(j.at("activation").get<std::string>());
    s.dropout = j.at("dropout").get<float>();
    // Multi-task keys (absent from single-task model files written before them).
    s.head = parse_head_kind(j.value("head", std::string("single")));
    s.shared = j.value("shared", std::vector<size_t>{});
    s.experts = j.value("experts", size_t{0});
    s.expert = j.value("expert", std::vector<size_t>{});
    s.tower = j.value("tower", std::vector<size_t>{1});
    s.uncertainty_weighting = j.value("task_weighting", std::string("fixed")) == "uncertainty";
    s.precision = nn::parse_precision(j.value("precision", std::string("fp32")));
  } catch (const nlohmann::json::exception& e) {
    RECO_THROW(ErrorCode::kCorrupt) << "model spec: " << e.what();
  }
  s.validate();
  return s;
}

}  // namespace reco::models
