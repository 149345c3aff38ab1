#include "reco/optim/optimizer.h"

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "reco/core/container.h"
#include "reco/core/error.h"
#include "reco/optim/adagrad.h"
#include "reco/optim/adam.h"
#include "reco/optim/sgd.h"

namespace reco::optim {

namespace {

constexpr std::string_view kKindNames[] = {"sgd", "adagrad", "adam", "lazy_adam"};
// Longest suffix save() appends to the prefix ("<slot>.<k>" with a 6-digit slot).
constexpr size_t kMaxPrefix = kMaxSectionName - 15;

std::string state_section(std::string_view prefix, size_t slot, size_t k) {
  return std::string(prefix) + std::to_string(slot) + "." + std::to_string(k);
}

}  // namespace

OptimizerKind parse_optimizer_kind(std::string_view name) {
  for (size_t i = 0; i < std::size(kKindNames); ++i) {
    if (name == kKindNames[i]) return static_cast<OptimizerKind>(i);
  }
  RECO_THROW(ErrorCode::kInvalidArgument) << "unknown optimizer '" << name
                                          << "'; expected sgd, adagrad, adam or lazy_adam";
}

std::string_view optimizer_kind_name(OptimizerKind kind) {
  const auto i = static_cast<size_t>(kind);
  return i < std::size(kKindNames) ? kKindNames[i] : std::string_view("?");
}

void OptimizerConfig::validate() const {
  schedule.validate();
  RECO_CHECK(momentum >= 0.0f && momentum < 1.0f) << "'momentum' must be in [0, 1), got " << momentum;
  RECO_CHECK(!nesterov || momentum > 0.0f) << "'nesterov' needs 'momentum' > 0";
  RECO_CHECK(beta1 >= 0.0f && beta1 < 1.0f) << "'beta1' must be in [0, 1), got " << beta1;
  RECO_CHECK(beta2 >= 0.0f && beta2 < 1.0f) << "'beta2' must be in [0, 1), got " << beta2;
  RECO_CHECK(std::isfinite(epsilon) && epsilon > 0.0f) << "'epsilon' must be > 0, got " << epsilon;
  RECO_CHECK(std::isfinite(adagrad_init) && adagrad_init >= 0.0f)
      << "'adagrad_init' must be >= 0, got " << adagrad_init;
  RECO_CHECK(std::isfinite(weight_decay) && weight_decay >= 0.0f)
      << "'weight_decay' must be >= 0, got " << weight_decay;
  RECO_CHECK(std::isfinite(embedding_lr_scale) && embedding_lr_scale > 0.0f)
      << "'embedding_lr_scale' must be > 0, got " << embedding_lr_scale;
  RECO_CHECK(std::isfinite(embedding_weight_decay) && embedding_weight_decay >= 0.0f)
      << "'embedding_weight_decay' must be >= 0, got " << embedding_weight_decay;
}

Optimizer::Optimizer(OptimizerConfig config) : config_(std::move(config)) { config_.validate(); }

void Optimizer::begin_step() {
  ++step_;
  lr_ = config_.schedule.at(step_);
  prepare_step();
}

Optimizer::SlotRates Optimizer::rates(size_t slot) const {
  const SlotScale& s = scales_[slot];
  SlotRates r;
  r.lr = lr_ * s.lr_scale;
  if (config_.decoupled_decay) {
    r.keep = 1.0f - r.lr * s.weight_decay;
  } else {
    r.coupled_wd = s.weight_decay;
  }
  return r;
}

size_t Optimizer::register_param(nn::Parameter& p, size_t n_state, float state_init) {
  RECO_CHECK(!p.value.empty()) << "parameter '" << p.name << "' is empty";
  params_.push_back(&p);
  std::vector<nn::Tensor> state;
  for (size_t k = 0; k < n_state; ++k) {
    state.emplace_back(p.value.rows(), p.value.cols());
    if (state_init != 0.0f) state.back().fill(state_init);
  }
  state_.push_back(std::move(state));
  SlotScale scale;
  if (p.sparse) {
    scale.lr_scale = config_.embedding_lr_scale;
    scale.weight_decay = p.decay ? config_.embedding_weight_decay : 0.0f;
  } else {
    scale.weight_decay = p.decay ? config_.weight_decay : 0.0f;
  }
  scales_.push_back(scale);
  return params_.size() - 1;
}

void Optimizer::check_dense(size_t slot, const nn::Tensor& grad, size_t lo, size_t hi) const {
  RECO_CHECK(slot < params_.size()) << "optimizer: slot " << slot << " of " << params_.size();
  const nn::Tensor& w = params_[slot]->value;
  RECO_CHECK(grad.rows() == w.rows() && grad.cols() == w.cols())
      << "gradient of '" << params_[slot]->name << "' is [" << grad.rows() << ", " << grad.cols()
      << "], parameter is [" << w.rows() << ", " << w.cols() << "]";
  RECO_CHECK(lo <= hi && hi <= w.size()) << "update range [" << lo << ", " << hi << ") of '"
                                         << params_[slot]->name << "' with " << w.size() << " elements";
  RECO_CHECK(step_ > 0) << "optimizer: begin_step() before the first update";
}

void Optimizer::check_rows(size_t slot, const nn::RowGrad& grad, size_t lo, size_t hi) const {
  RECO_CHECK(slot < params_.size()) << "optimizer: slot " << slot << " of " << params_.size();
  const nn::Parameter& p = *params_[slot];
  RECO_CHECK(p.sparse) << "row gradient for dense parameter '" << p.name << "'";
  RECO_CHECK(grad.values.rows() == grad.rows.size() && (grad.rows.empty() || grad.values.cols() == p.value.cols()))
      << "row gradient of '" << p.name << "' has values [" << grad.values.rows() << ", " << grad.values.cols()
      << "] for " << grad.rows.size() << " rows of width " << p.value.cols();
  RECO_CHECK(lo <= hi && hi <= grad.rows.size())
      << "update range [" << lo << ", " << hi << ") of '" << p.name << "' with " << grad.rows.size() << " rows";
  RECO_CHECK(step_ > 0) << "optimizer: begin_step() before the first update";
  for (size_t i = lo; i < hi; ++i) {
    RECO_CHECK(grad.rows[i] < p.value.rows())
        << "row " << grad.rows[i] << " of '" << p.name << "' out of range (" << p.value.rows() << " rows)";
  }
}

void Optimizer::save(ContainerWriter& out, std::string_view prefix) const {
  RECO_CHECK(prefix.size() <= kMaxPrefix) << "optimizer checkpoint prefix '" << prefix << "' is longer than "
                                          << kMaxPrefix << " bytes";
  nlohmann::json meta;
  meta["kind"] = optimizer_kind_name(config_.kind);
  meta["step"] = step_;
  nlohmann::json slots = nlohmann::json::array();
  for (size_t s = 0; s < params_.size(); ++s) {
    const nn::Tensor& w = params_[s]->value;
    slots.push_back({{"name", params_[s]->name}, {"rows", w.rows()}, {"cols", w.cols()}, {"state", state_[s].size()}});
  }
  meta["slots"] = std::move(slots);
  out.add_section(std::string(prefix) + "meta", meta.dump());
  for (size_t s = 0; s < params_.size(); ++s) {
    for (size_t k = 0; k < state_[s].size(); ++k) {
      out.add_array<float>(state_section(prefix, s, k), state_[s][k].span());
    }
  }
}

void Optimizer::load(const Container& in, std::string_view prefix) {
  const std::string meta_name = std::string(prefix) + "meta";
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(in.section_string(meta_name));
  } catch (const nlohmann::json::exception& e) {
    RECO_THROW(ErrorCode::kCorrupt) << in.path() << ": section '" << meta_name << "' is not valid JSON: " << e.what();
  }
  int64_t step = 0;
  std::string kind;
  nlohmann::json slots;
  try {
    kind = meta.at("kind").get<std::string>();
    step = meta.at("step").get<int64_t>();
    slots = meta.at("slots");
  } catch (const nlohmann::json::exception& e) {
    RECO_THROW(ErrorCode::kCorrupt) << in.path() << ": section '" << meta_name << "': " << e.what();
  }
  if (kind != optimizer_kind_name(config_.kind)) {
    RECO_THROW(ErrorCode::kCorrupt) << in.path() << ": checkpoint holds " << kind << " optimizer state, this optimizer is "
                                    << optimizer_kind_name(config_.kind);
  }
  if (step < 0 || !slots.is_array() || slots.size() != params_.size()) {
    RECO_THROW(ErrorCode::kCorrupt) << in.path() << ": checkpoint holds optimizer state for "
                                    << (slots.is_array() ? slots.size() : 0) << " parameters, this optimizer has "
                                    << params_.size();
  }
  // Check everything before changing anything, so a failed load leaves the state intact.
  for (size_t s = 0; s < params_.size(); ++s) {
    const nn::Parameter& p = *params_[s];
    const nlohmann::json& e = slots[s];
    bool same = false;
    try {
      same = e.at("name").get<std::string>() == p.name && e.at("rows").get<size_t>() == p.value.rows() &&
             e.at("cols").get<size_t>() == p.value.cols() && e.at("state").get<size_t>() == state_[s].size();
    } catch (const nlohmann::json::exception&) {
      same = false;
    }
    if (!same) {
      RECO_THROW(ErrorCode::kCorrupt) << in.path() << ": optimizer state of parameter " << s << " ('" << p.name
                                      << "' [" << p.value.rows() << ", " << p.value.cols() << "], " << state_[s].size()
                                      << " state tensors) does not match the checkpoint's " << e.dump();
    }
    for (size_t k = 0; k < state_[s].size(); ++k) {
      const std::string name = state_section(prefix, s, k);
      if (in.array<float>(name).size() != state_[s][k].size()) {
        RECO_THROW(ErrorCode::kCorrupt) << in.path() << ": optimizer state '" << name << "' of parameter '" << p.name
                                        << "' has " << in.array<float>(name).size() << " floats, expected "
                                        << state_[s][k].size();
      }
    }
  }
  for (size_t s = 0; s < params_.size(); ++s) {
    for (size_t k = 0; k < state_[s].size(); ++k) {
      const auto values = in.array<float>(state_section(prefix, s, k));
      if (!values.empty()) std::memcpy(state_[s][k].data(), values.data(), values.size() * sizeof(float));
    }
  }
  step_ = step;
  lr_ = step_ > 0 ? config_.schedule.at(step_) : 0.0f;
  prepare_step();
}

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config) {
  switch (config.kind) {
    case OptimizerKind::kSgd:
      return std::make_unique<Sgd>(config);
    case OptimizerKind::kAdagrad:
      return std::make_unique<Adagrad>(config);
    case OptimizerKind::kAdam:
    case OptimizerKind::kLazyAdam:
      return std::make_unique<Adam>(config);
  }
  RECO_THROW(ErrorCode::kInternal) << "unknown optimizer kind " << static_cast<int>(config.kind);
}

}  // namespace reco::optim
