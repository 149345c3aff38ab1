#include "reco/models/ctr_model.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <optional>

#include "reco/core/context.h"
#include "reco/core/error.h"
#include "reco/nn/fused_linear.h"
#include "reco/nn/interaction.h"

namespace reco::models {

CtrModel::CtrModel(ModelSpec spec, FeatureMap features) : spec_(std::move(spec)), features_(std::move(features)) {
  spec_.validate();
  const size_t nd = dense_count();
  const size_t nf = features_.sparse.size();
  const size_t d = spec_.embedding_dim;
  RECO_CHECK(nd + nf > 0) << "model has no input features";
  const bool deep = spec_.kind != ModelKind::kLogistic;
  has_wide_ = spec_.kind == ModelKind::kWideDeep || spec_.kind == ModelKind::kLogistic;
  has_heads_ = spec_.multi_task();
  has_top_ = deep && !has_heads_;
  if (features_.tasks.empty()) features_.tasks.push_back({features_.label, features_.label, "", 1.0f});
  RECO_CHECK(has_heads_ || features_.tasks.size() == 1)
      << "model.head = \"single\" has one output but " << features_.tasks.size()
      << " tasks are configured: use head = \"shared_bottom\", \"mmoe\" or \"esmm\"";
  if (deep)
    for (const auto& f : features_.sparse) deep_.emplace_back("emb." + f.column, f.rows, d, spec_.pooling);
  if (has_wide_)
    for (const auto& f : features_.sparse) wide_tables_.emplace_back("wide." + f.column, f.rows, 1, spec_.pooling);
  const PositionBias& pos = features_.position;
  pos.validate();
  if (pos.method == PositionMethod::kFeature) {
    RECO_CHECK(deep) << "position.method = \"feature\" needs a model with embeddings (not lr)";
    position_table_ = nn::EmbeddingBag("emb.position", pos.table_rows(), d, nn::Pooling::kSum);
    has_position_table_ = position_feature_ = true;
  } else if (pos.method == PositionMethod::kTower) {
    position_table_ = nn::EmbeddingBag("position.tower", pos.table_rows(), outputs(), nn::Pooling::kSum);
    has_position_table_ = true;
  }
  if (spec_.kind == ModelKind::kDlrm) {
    has_bottom_ = nd > 0;
    if (has_bottom_) bottom_ = nn::Mlp("bottom", nd, spec_.bottom, spec_.activation, spec_.activation, spec_.dropout);
    RECO_CHECK(vectors() >= (spec_.interaction == nn::InteractionKind::kDot ? 2u : 1u))
        << "dlrm: the dot interaction needs at least two vectors (dense features and/or sparse features)";
    const size_t in = nn::interaction_output_size(spec_.interaction, vectors(), d, spec_.self_interaction);
    if (has_heads_) {
      heads_ = TaskHeads(spec_, in, features_.task_names());
    } else {
      top_ = nn::Mlp("top", in, spec_.top, spec_.activation, nn::Activation::kNone, spec_.dropout);
    }
  } else if (has_heads_) {
    heads_ = TaskHeads(spec_, nd + embedded() * d, features_.task_names());
  } else if (deep) {
    top_ = nn::Mlp("top", nd + embedded() * d, spec_.top, spec_.activation, nn::Activation::kNone, spec_.dropout);
  }
  if (spec_.precision != nn::Precision::kFp32) {  // bf16 GEMMs in the dense MLPs (model_spec.h)
    if (has_bottom_) bottom_.set_precision(spec_.precision);
    if (has_top_) top_.set_precision(spec_.precision);
  }
  if (spec_.uncertainty_weighting) {
    log_var_.name = "task.log_variance";
    log_var_.value = nn::Tensor(1, outputs());
    log_var_.decay = false;
  }
  if (has_wide_) {
    wide_weight_.name = "wide.dense.weight";
    wide_weight_.value = nn::Tensor(1, nd);
    wide_bias_.name = "wide.bias";
    wide_bias_.value = nn::Tensor(1, 1);
    wide_bias_.decay = false;
  }
}

void CtrModel::set_position_propensity(std::vector<std::vector<float>> theta) {
  RECO_CHECK(features_.position.method == PositionMethod::kIpw) << "propensities belong to position.method = ipw";
  RECO_CHECK(theta.size() == outputs()) << "propensities for " << theta.size() << " tasks, the model has " << outputs();
  features_.position.propensity = std::move(theta);
  features_.position.validate();
}

size_t CtrModel::embedded() const { return deep_.size() + (position_feature_ ? 1 : 0); }
size_t CtrModel::vectors() const { return (has_bottom_ ? 1 : 0) + embedded(); }

void CtrModel::init(uint64_t seed) {
  Rng rng(derive_seed(seed, 0x6d6f64656cULL));
  if (has_bottom_) bottom_.init(rng);
  if (has_top_) top_.init(rng);
  if (has_heads_) heads_.init(rng);
  if (spec_.uncertainty_weighting) log_var_.value.zero();  // s_t = 0: every task starts at weight 1
  for (auto& e : deep_) e.init(rng, spec_.embedding_init);
  // A position feature starts like any embedding; a tower starts at zero (no bias yet).
  if (position_feature_) position_table_.init(rng, spec_.embedding_init);
  if (has_position_table_ && !position_feature_) position_table_.table().value.zero();
  // Wide weights start at zero: a linear model has no symmetry to break.
  for (auto& e : wide_tables_) e.table().value.zero();
  if (has_wide_) {
    wide_weight_.value.zero();
    wide_bias_.value.zero();
  }
}

std::vector<nn::Parameter*> CtrModel::dense_parameters() {
  std::vector<nn::Parameter*> out;
  if (has_bottom_)
    for (auto* p : bottom_.parameters()) out.push_back(p);
  if (has_top_)
    for (auto* p : top_.parameters()) out.push_back(p);
  if (has_heads_)
    for (auto* p : heads_.parameters()) out.push_back(p);
  if (spec_.uncertainty_weighting) out.push_back(&log_var_);
  if (has_wide_) {
    if (dense_count() > 0) out.push_back(&wide_weight_);
    out.push_back(&wide_bias_);
  }
  return out;
}

std::vector<nn::Parameter*> CtrModel::tables() {
  std::vector<nn::Parameter*> out;
  for (auto& e : deep_) out.push_back(&e.table());
  for (auto& e : wide_tables_) out.push_back(&e.table());
  if (has_position_table_) out.push_back(&position_table_.table());
  return out;
}

std::vector<nn::Parameter*> CtrModel::parameters() {
  auto out = dense_parameters();
  for (auto* p : tables()) out.push_back(p);
  return out;
}

size_t CtrModel::parameter_count() const {
  size_t n = 0;
  for (auto* p : const_cast<CtrModel*>(this)->parameters()) n += p->value.size();
  return n;
}

void CtrModel::prepare(ModelWorkspace& ws) const {
  ws.dense_grads.clear();
  if (has_bottom_) {
    bottom_.prepare(ws.bottom);
    for (auto* g : nn::Mlp::gradients(ws.bottom)) ws.dense_grads.push_back(g);
  }
  if (has_top_) {
    top_.prepare(ws.top);
    for (auto* g : nn::Mlp::gradients(ws.top)) ws.dense_grads.push_back(g);
  }
  if (has_heads_) {
    heads_.prepare(ws.heads);
    for (auto* g : heads_.gradients(ws.heads)) ws.dense_grads.push_back(g);
  }
  if (spec_.uncertainty_weighting) {
    ws.grad_log_var.resize(1, outputs(), true);
    ws.dense_grads.push_back(&ws.grad_log_var);
  }
  if (has_wide_) {
    ws.grad_wide_weight.resize(1, dense_count(), true);
    ws.grad_wide_bias.resize(1, 1, true);
    if (dense_count() > 0) ws.dense_grads.push_back(&ws.grad_wide_weight);
    ws.dense_grads.push_back(&ws.grad_wide_bias);
  }
}

void CtrModel::zero_grads(ModelWorkspace& ws) const {
  for (auto* g : ws.dense_grads) g->zero();
}

void CtrModel::embed(const Batch& batch, size_t lo, size_t hi, nn::MatrixView out, size_t first_col,
                     std::vector<nn::BagBatch>& bags) const {
  const size_t d = spec_.embedding_dim;
  bags.clear();
  for (size_t f = 0; f < deep_.size(); ++f) bags.push_back(batch.sparse[f].bags().slice(lo, hi));
  nn::forward_tables(deep_, bags, out.cols_slice(first_col, deep_.size() * d));
  if (position_feature_) {
    const size_t f = features_.sparse.size();
    position_table_.forward(batch.sparse[f].bags().slice(lo, hi), out.cols_slice(first_col + deep_.size() * d, d));
  }
}

std::span<const float> CtrModel::forward(const Batch& batch, size_t lo, size_t hi, ModelWorkspace& ws,
                                         Rng* dropout_rng) const {
  const size_t n = hi - lo;
  const size_t nd = dense_count();
  const size_t d = spec_.embedding_dim;
  RECO_ASSERT(hi <= batch.size && batch.sparse.size() == sparse_inputs() && batch.dense.cols() == nd);
  const nn::ConstMatrixView dense = batch.dense.view().rows_slice(lo, n);
  const size_t nt = outputs();
  ws.logits.resize(n, nt, /*zero=*/true);
  if (spec_.kind == ModelKind::kDlrm) {
    const size_t v = vectors();
    ws.features.resize(n, v * d);
    size_t first = 0;
    if (has_bottom_) {
      bottom_.forward(dense, ws.bottom, dropout_rng);
      const nn::Tensor& bo = ws.bottom.output();
      for (size_t r = 0; r < n; ++r) std::memcpy(ws.features.row(r), bo.row(r), d * sizeof(float));
      first = d;
    }
    embed(batch, lo, hi, ws.features, first, ws.bags);
    ws.inter.resize(n, nn::interaction_output_size(spec_.interaction, v, d, spec_.self_interaction));
    nn::interaction_forward(spec_.interaction, ws.features, v, d, spec_.self_interaction, ws.inter);
    if (has_heads_) {
      heads_.forward(ws.inter, ws.heads, dropout_rng);
    } else {
      top_.forward(ws.inter, ws.top, dropout_rng);
    }
  } else if (has_top_ || has_heads_) {
    ws.features.resize(n, nd + embedded() * d);
    for (size_t r = 0; r < n; ++r) std::memcpy(ws.features.row(r), dense.row(r), nd * sizeof(float));
    embed(batch, lo, hi, ws.features, nd, ws.bags);
    if (has_heads_) {
      heads_.forward(ws.features, ws.heads, dropout_rng);
    } else {
      top_.forward(ws.features, ws.top, dropout_rng);
    }
  }
  if (has_heads_) std::memcpy(ws.logits.data(), ws.heads.logits.data(), n * nt * sizeof(float));
  if (has_top_) {
    const nn::Tensor& out = ws.top.output();
    for (size_t r = 0; r < n; ++r) ws.logits.at(r, 0) = out.at(r, 0);
  }
  if (has_position_table_ && !position_feature_) {
    // Tower: rows without a position have an empty bag, so their term is 0.
    ws.tower.resize(n, nt);
    position_table_.forward(batch.sparse[features_.sparse.size()].bags().slice(lo, hi), ws.tower);
    for (size_t i = 0; i < n * nt; ++i) ws.logits.data()[i] += ws.tower.data()[i];
  }
  if (has_wide_) {
    const size_t nf = wide_tables_.size();
    ws.wide_ids.resize(n, nf);
    for (size_t f = 0; f < nf; ++f)
      wide_tables_[f].forward(batch.sparse[f].bags().slice(lo, hi), nn::MatrixView(ws.wide_ids).cols_slice(f, 1));
    const float* w = wide_weight_.value.data();
    const float b = wide_bias_.value.at(0, 0);
    for (size_t r = 0; r < n; ++r) {
      float z = b;
      const float* x = dense.row(r);
      for (size_t j = 0; j < nd; ++j) z += w[j] * x[j];
      const float* s = ws.wide_ids.row(r);
      for (size_t f = 0; f < nf; ++f) z += s[f];
      ws.logits.at(r, 0) += z;
    }
  }
  return {ws.logits.data(), n * nt};
}

void CtrModel::infer(const Batch& batch, size_t lo, size_t hi, ModelWorkspace& ws, std::span<float> out,
                     uint64_t frozen_id) const {
  const size_t nt = outputs();
  RECO_ASSERT(lo <= hi && out.size() == (hi - lo) * nt);
  // The model is const here: its dense weights are packed once for all the blocks (or once for
  // every call under the caller's frozen_id).
  std::optional<nn::FrozenWeights> frozen;
  if (frozen_id) {
    frozen.emplace(frozen_id);
  } else if (hi - lo > kInferBlockRows) {
    frozen.emplace();
  }
  for (size_t b = lo; b < hi; b += kInferBlockRows) {
    const size_t e = std::min(hi, b + kInferBlockRows);
    const auto logits = forward(batch, b, e, ws, nullptr);
    std::copy(logits.begin(), logits.end(), out.begin() + (b - lo) * nt);
  }
}

void CtrModel::infer_parallel(const Batch& batch, ThreadPool& pool, std::span<ModelWorkspace> ws,
                              std::span<float> out, const BlockFn& on_block, uint64_t frozen_id) const {
  const size_t nt = outputs();
  RECO_ASSERT(ws.size() >= static_cast<size_t>(pool.size()) && out.size() == batch.size * nt);
  // Small batches are split evenly instead (128 rows on 2 workers: 64 each, not one block).
  const size_t workers = static_cast<size_t>(pool.size());
  const size_t rows = std::max<size_t>(1, std::min(kInferBlockRows, (batch.size + workers - 1) / workers));
  std::atomic<size_t> next{0};
  pool.run([&](int w) {
    // Several blocks a worker: pack the dense weights once for them (the model is const here),
    // or once for all calls under the caller's id.
    std::optional<nn::FrozenWeights> frozen;
    if (frozen_id) {
      frozen.emplace(frozen_id);
    } else if (batch.size > rows * workers) {
      frozen.emplace();
    }
    for (;;) {
      const size_t lo = next.fetch_add(1, std::memory_order_relaxed) * rows;
      if (lo >= batch.size) return;
      const size_t hi = std::min(batch.size, lo + rows);
      const std::span<float> scores = out.subspan(lo * nt, (hi - lo) * nt);
      infer(batch, lo, hi, ws[w], scores);
      if (on_block) on_block(lo, hi, scores);
    }
  });
}

void CtrModel::backward(const Batch& batch, size_t lo, size_t hi, std::span<const float> dlogits,
                        ModelWorkspace& ws) const {
  const size_t n = hi - lo;
  const size_t nd = dense_count();
  const size_t d = spec_.embedding_dim;
  const size_t nt = outputs();
  RECO_ASSERT(dlogits.size() == n * nt);
  ws.dlogits.resize(n, nt);
  std::memcpy(ws.dlogits.data(), dlogits.data(), n * nt * sizeof(float));
  const nn::ConstMatrixView dense = batch.dense.view().rows_slice(lo, n);
  if (spec_.kind == ModelKind::kDlrm) {
    const size_t v = vectors();
    if (has_heads_) {
      heads_.backward(ws.inter, ws.dlogits, ws.heads, &ws.dinter);
    } else {
      top_.backward(ws.inter, ws.dlogits, ws.top, &ws.dinter);
    }
    ws.dfeatures.resize(n, v * d);
    nn::interaction_backward(spec_.interaction, ws.features, v, d, spec_.self_interaction, ws.dinter, ws.dfeatures);
    if (has_bottom_) bottom_.backward(dense, nn::ConstMatrixView(ws.dfeatures.view()).cols_slice(0, d), ws.bottom, nullptr);
  } else if (has_heads_) {
    heads_.backward(ws.features, ws.dlogits, ws.heads, &ws.dfeatures);
  } else if (has_top_) {
    top_.backward(ws.features, ws.dlogits, ws.top, &ws.dfeatures);
  }
  if (has_wide_) {
    float* gw = ws.grad_wide_weight.data();
    float gb = 0.0f;
    for (size_t r = 0; r < n; ++r) {
      const float g = dlogits[r];
      const float* x = dense.row(r);
      for (size_t j = 0; j < nd; ++j) gw[j] += g * x[j];
      gb += g;
    }
    ws.grad_wide_bias.at(0, 0) += gb;
  }
}

nn::ConstMatrixView CtrModel::table_dout(const ModelWorkspace& ws, size_t k) const {
  const size_t d = spec_.embedding_dim;
  if (position_feature_ && k == deep_.size() + wide_tables_.size()) {
    const size_t first = spec_.kind == ModelKind::kDlrm ? (has_bottom_ ? d : 0) : dense_count();
    return ws.dfeatures.view().cols_slice(first + deep_.size() * d, d);
  }
  // Wide tables and the position tower add straight into the logits: d(logit)/d(entry) = 1.
  if (k >= deep_.size()) return ws.dlogits.view();
  if (spec_.kind == ModelKind::kDlrm) return ws.dfeatures.view().cols_slice((has_bottom_ ? d : 0) + k * d, d);
  return ws.dfeatures.view().cols_slice(dense_count() + k * d, d);
}

double CtrModel::macs_per_example() const {
  double m = 0.0;
  if (has_bottom_) m += static_cast<double>(bottom_.macs_per_example());
  if (has_top_) m += static_cast<double>(top_.macs_per_example());
  if (has_heads_) m += static_cast<double>(heads_.macs_per_example());
  if (spec_.kind == ModelKind::kDlrm && spec_.interaction == nn::InteractionKind::kDot) {
    const double v = static_cast<double>(vectors());
    m += v * (v - 1) / 2 * static_cast<double>(spec_.embedding_dim);
  }
  return m;
}

}  // namespace reco::models
