#include "reco/models/model_file.h"

#include <cstring>

#include "reco/core/container.h"
#include "reco/core/error.h"
#include "reco/optim/optimizer.h"

namespace reco::models {

namespace {
constexpr std::string_view kOptimizerPrefix = "opt/";
std::string param_section(const std::string& name) { return "param/" + name; }
}  // namespace

void save_model(const std::string& path, CtrModel& model, const SaveOptions& options) {
  nlohmann::json params = nlohmann::json::array();
  for (const nn::Parameter* p : model.parameters())
    params.push_back({{"name", p->name}, {"rows", p->value.rows()}, {"cols", p->value.cols()}, {"sparse", p->sparse}});
  nlohmann::json meta = {{"format_version", kModelVersion},
                         {"model", "ctr"},
                         {"spec", model.spec().to_json()},
                         {"features", model.features().to_json()},
                         {"parameters", params},
                         {"scoring", (options.scoring ? *options.scoring : HeadScoring::identity(model.features())).to_json()},
                         {"extra", options.extra}};
  ContainerWriter out(path, kModelKind, kModelVersion);
  out.add_section("meta", meta.dump());
  for (const nn::Parameter* p : model.parameters()) {
    RECO_CHECK(param_section(p->name).size() <= kMaxSectionName)
        << "parameter name too long for the model file: " << p->name;
    out.add_array<float>(param_section(p->name), p->value.span());
  }
  if (options.optimizer) options.optimizer->save(out, kOptimizerPrefix);
  if (options.train_state) out.add_section("train_state", options.train_state->dump());
  out.commit();
}

LoadedModel load_model(const std::string& path) {
  Container in = Container::open(path, kModelKind, kModelVersion);
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(in.section_string("meta"));
  } catch (const nlohmann::json::exception& e) {
    RECO_THROW(ErrorCode::kCorrupt) << path << ": model meta is not valid JSON: " << e.what();
  }
  RECO_CHECK_CODE(meta.value("model", std::string()) == "ctr", ErrorCode::kUnsupported)
      << path << ": model type '" << meta.value("model", std::string()) << "' is not a ctr model";
  LoadedModel out{CtrModel(ModelSpec::from_json(meta.at("spec")), FeatureMap::from_json(meta.at("features"))),
                  meta.value("extra", nlohmann::json::object()), std::nullopt, HeadScoring{}};
  out.scoring = meta.contains("scoring") ? HeadScoring::from_json(meta.at("scoring"), out.model.features())
                                         : HeadScoring::identity(out.model.features());
  for (nn::Parameter* p : out.model.parameters()) {
    const auto data = in.array<float>(param_section(p->name));
    RECO_CHECK_CODE(data.size() == p->value.size(), ErrorCode::kCorrupt)
        << path << ": parameter " << p->name << " has " << data.size() << " values, the model expects "
        << p->value.size();
    std::memcpy(p->value.data(), data.data(), data.size() * sizeof(float));
  }
  if (in.has("train_state")) out.train_state = nlohmann::json::parse(in.section_string("train_state"));
  return out;
}

void load_optimizer_state(const std::string& path, optim::Optimizer& optimizer) {
  Container in = Container::open(path, kModelKind, kModelVersion);
  RECO_CHECK_CODE(in.has(std::string(kOptimizerPrefix) + "meta"), ErrorCode::kNotFound)
      << path << ": no optimizer state (not a checkpoint)";
  optimizer.load(in, kOptimizerPrefix);
}

}  // namespace reco::models
