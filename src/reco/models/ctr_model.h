// CtrModel — one binary-output ranking model (DLRM, MLP, wide & deep, logistic regression;
// see model_spec.h) assembled from the nn parts.
//
// Ownership and threading: the model owns every Parameter. forward/backward are const and
// write only into the caller's ModelWorkspace, so N workers run N shards of one batch
// against the same model at once; the trainer then reduces the workspaces' dense gradients
// and builds one RowGrad per table from all shards (see train/trainer.h).
//
// Outputs: T = features.tasks.size() logits per row ([n, T] row-major). head "single" has
// T = 1 and the top MLP; multi-task heads (task_heads.h) replace the top MLP.
//
// Tables: table k < F (F = number of sparse features) is feature k's deep embedding
// (dim = embedding_dim; absent for "lr"); wide models add F dim-1 tables after them. A model
// with features.position.method "feature" or "tower" has one more table last: the position
// embedding (dim embedding_dim, one more input vector) or the position tower (dim T, added to
// the logits). Its ids come from batch.sparse[F] (BatchReader appends them; see position_bias.h).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "reco/core/rng.h"
#include "reco/core/thread_pool.h"
#include "reco/models/batch.h"
#include "reco/models/feature_map.h"
#include "reco/models/model_spec.h"
#include "reco/models/task_heads.h"
#include "reco/nn/mlp.h"

namespace reco::models {

struct ModelWorkspace {
  nn::MlpWorkspace bottom;
  nn::MlpWorkspace top;
  nn::Tensor features;   ///< dlrm: [n, vectors*d]; mlp/wide_deep: [n, dense + F*d] (the top input)
  std::vector<nn::BagBatch> bags;  ///< the block's lookups per deep table (views of the batch; reused)
  nn::Tensor inter;      ///< dlrm: interaction output (the top input)
  nn::Tensor dinter;     ///< dlrm: gradient w.r.t. inter
  nn::Tensor dfeatures;  ///< gradient w.r.t. features (embedding douts are column blocks of it)
  nn::Tensor wide_ids;   ///< [n, F] per-feature wide scalars
  TaskHeadsWorkspace heads;
  nn::Tensor tower;      ///< [n, T] position tower terms
  nn::Tensor logits;     ///< [n, T]
  nn::Tensor dlogits;    ///< [n, T]
  nn::Tensor grad_log_var;      ///< [1, T] uncertainty weighting (filled by the trainer)
  nn::Tensor grad_wide_weight;  ///< [1, dense]
  nn::Tensor grad_wide_bias;    ///< [1, 1]
  std::vector<nn::Tensor*> dense_grads;  ///< aligned with CtrModel::dense_parameters()
};

class CtrModel {
 public:
  CtrModel(ModelSpec spec, FeatureMap features);
  CtrModel(CtrModel&&) = default;

  const ModelSpec& spec() const { return spec_; }
  const FeatureMap& features() const { return features_; }
  /// ipw: stores the estimated propensities [T][max_position + 1] (saved with the model).
  void set_position_propensity(std::vector<std::vector<float>> theta);

  /// Xavier weights, zero biases, uniform embeddings; all from `seed`.
  void init(uint64_t seed);

  std::vector<nn::Parameter*> dense_parameters();
  std::vector<nn::Parameter*> tables();
  /// dense_parameters() then tables(): the order of model files and optimizer slots.
  std::vector<nn::Parameter*> parameters();
  size_t table_count() const { return deep_.size() + wide_tables_.size() + (has_position_table_ ? 1 : 0); }
  nn::Pooling pooling() const { return spec_.pooling; }
  /// Number of outputs (tasks).
  size_t outputs() const { return features_.tasks.size(); }
  /// Uncertainty weighting's learned log-variances s_t [1, T], or null.
  const nn::Parameter* task_log_variance() const { return spec_.uncertainty_weighting ? &log_var_ : nullptr; }
  /// Multi-task heads (null for head "single").
  const TaskHeads* heads() const { return has_heads_ ? &heads_ : nullptr; }
  /// Index into batch.sparse of the ids feeding table k (the position table reads index F).
  size_t table_feature(size_t k) const {
    if (has_position_table_ && k == deep_.size() + wide_tables_.size()) return features_.sparse.size();
    return k % features_.sparse.size();
  }
  /// Number of batch.sparse entries the model reads (F, plus 1 with a position table).
  size_t sparse_inputs() const { return features_.sparse.size() + (has_position_table_ ? 1 : 0); }

  /// Allocates ws's gradient buffers (zeroed) and sets ws.dense_grads.
  void prepare(ModelWorkspace& ws) const;
  void zero_grads(ModelWorkspace& ws) const;

  /// Logits of batch rows [lo, hi), [hi - lo, T] row-major (a view into ws.logits, valid
  /// until the next call).
  /// dropout_rng: null at inference.
  std::span<const float> forward(const Batch& batch, size_t lo, size_t hi, ModelWorkspace& ws,
                                 Rng* dropout_rng) const;
  /// Inference: the logits of rows [lo, hi) written to out ([hi - lo, T] row-major), computed
  /// by forward over blocks of kInferBlockRows rows so that a block's activations (the
  /// interaction output, the MLP layers) stay in cache: ~5-10 % faster than one forward over a
  /// 1024-row shard of a DLRM batch. Each row's logits are forward's to rounding (a block's
  /// matrix products may be summed in another order than the whole range's).
  /// frozen_id: 0, or an nn::FrozenWeights::new_id() the caller keeps for as long as this
  /// model's weights do not change (a served snapshot, a benchmark, one prediction pass): the
  /// dense weights are then packed for the matmul kernels once per workspace and id, not once
  /// per call (with 0 a call of several blocks packs them for itself).
  static constexpr size_t kInferBlockRows = 256;
  void infer(const Batch& batch, size_t lo, size_t hi, ModelWorkspace& ws, std::span<float> out,
             uint64_t frozen_id = 0) const;
  /// Inference of the whole batch on every worker of pool (ws: one workspace per worker; out:
  /// [batch.size, T]). Workers take blocks of min(kInferBlockRows, batch / workers) rows from a
  /// shared counter instead of a fixed share each, so a worker slowed by another process scores
  /// fewer blocks rather than holding up the batch. on_block, when set, runs on each finished
  /// block's rows [lo, hi) and their scores, on the worker that scored them.
  using BlockFn = std::function<void(size_t lo, size_t hi, std::span<float> scores)>;
  /// frozen_id: as for infer.
  void infer_parallel(const Batch& batch, ThreadPool& pool, std::span<ModelWorkspace> ws, std::span<float> out,
                      const BlockFn& on_block = {}, uint64_t frozen_id = 0) const;
  /// dlogits: d(loss)/d(logit) of rows [lo, hi), [hi - lo, T] row-major. Accumulates dense gradients into ws and
  /// leaves every table's per-bag gradient in ws (table_dout).
  void backward(const Batch& batch, size_t lo, size_t hi, std::span<const float> dlogits, ModelWorkspace& ws) const;
  /// Table k's gradient w.r.t. its pooled output, [hi - lo, dim], after backward().
  nn::ConstMatrixView table_dout(const ModelWorkspace& ws, size_t k) const;

  /// Multiply-adds of one forward pass per example (dense layers + interaction).
  double macs_per_example() const;
  size_t parameter_count() const;

 private:
  size_t dense_count() const { return features_.dense.size(); }
  size_t vectors() const;  // dlrm: vectors entering the interaction
  size_t embedded() const;  // embedding vectors in the input: deep tables + a position feature
  void embed(const Batch& batch, size_t lo, size_t hi, nn::MatrixView out, size_t first_col,
             std::vector<nn::BagBatch>& bags) const;

  ModelSpec spec_;
  FeatureMap features_;
  nn::Mlp bottom_;                 // dlrm with dense features
  nn::Mlp top_;                    // all but lr
  std::vector<nn::EmbeddingBag> deep_;         // one per sparse feature (not lr)
  std::vector<nn::EmbeddingBag> wide_tables_;  // wide_deep, lr
  nn::Parameter wide_weight_;      // [1, dense] (wide_deep, lr with dense features)
  nn::Parameter wide_bias_;        // [1, 1]
  nn::EmbeddingBag position_table_;  // position feature [max+1, d] or tower [(max+1)·cross, T]
  TaskHeads heads_;                // multi-task heads
  nn::Parameter log_var_;          // [1, T] uncertainty weighting
  bool has_bottom_ = false;
  bool has_top_ = false;
  bool has_wide_ = false;
  bool has_heads_ = false;
  bool has_position_table_ = false;
  bool position_feature_ = false;  // the table is an input embedding (else a logit tower)
};

}  // namespace reco::models
