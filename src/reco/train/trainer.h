// Trainer — mini-batch training of a CtrModel on N threads.
//
// Parallel scheme (one step):
//   1. Data-parallel forward/backward: the batch is cut into N contiguous shards; worker w
//      runs its shard against the shared, read-only weights into its own ModelWorkspace
//      (activations, dense gradients, per-bag embedding gradients). Each loss term is scaled
//      by 1 / (total weight of the batch), so the shard gradients add up to the gradient of
//      the batch mean.
//   2. Synchronous update: dense gradients are reduced across workers — worker w sums and
//      applies the slice w of every dense parameter's elements — and every embedding table
//      is owned by one worker (table k by worker k mod N) which coalesces the table's rows
//      from all shards into one RowGrad (unique rows, duplicates summed in batch order) and
//      applies the optimizer to those rows only. No dense embedding gradient ever exists.
//      Plain SGD (no momentum, no weight decay: Optimizer::plain_sgd_rate) skips the RowGrad:
//      the owner subtracts rate * gradient of each lookup from its row in batch order
//      (nn::apply_bag_gradients), as PyTorch's sparse SGD does; equal to rounding.
//   Multi-task (T outputs): each task's loss is a weighted mean over the rows where its
//   label is present, scaled by its loss weight (times exp(-s_t) with uncertainty weighting,
//   whose own gradient -w_t exp(-s_t) L_t + 1/2 is added once the batch's task losses are
//   known, between the two phases).
//   Both phases run on a persistent ThreadPool; OpenBLAS runs single-threaded inside each
//   worker. With threads = 1 and a fixed seed every step is deterministic bit for bit;
//   with N > 1 the reduction order depends on N (not on timing), so a run is reproducible
//   for a fixed N.
//
// Position bias (models/position_bias.h): training reads the logged positions (with the
// configured dropout, drawn from a per-epoch seeded stream); method "ipw" first estimates the
// propensities on the training rows (train/position_propensity.h), stores them in the model's
// feature map and weighs each positive of task t at position p by 1/θ_t(p). Per-epoch evaluation scores with the logged
// positions; serving and `reco predict` zero them unless asked otherwise.
//
// Epoch loop (fit): shuffle the training rows (seeded per epoch), stream batches with a
// prefetching thread, evaluate on the evaluation rows after each epoch, keep the best
// epoch's weights, stop after `patience` epochs without improvement, write a checkpoint
// (model + optimizer state + position) after each epoch, resume from one.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/core/context.h"
#include "reco/core/rng.h"
#include "reco/core/thread_pool.h"
#include "reco/data/dataset.h"
#include "reco/eval/metric_set.h"
#include "reco/models/ctr_model.h"
#include "reco/nn/loss.h"
#include "reco/optim/optimizer.h"
#include "reco/train/task_metrics.h"

namespace reco::train {

struct TrainOptions {
  size_t batch_size = 128;
  int epochs = 1;
  int64_t max_steps = 0;                  ///< stop after this many steps in total (0 = no limit)
  nn::LossKind loss = nn::LossKind::kBceWithLogits;  ///< bce or mse
  optim::OptimizerConfig optimizer;
  bool shuffle = true;
  std::vector<std::string> metrics = {"auc", "logloss"};
  std::string monitor = "auc";            ///< metric for early stopping / best epoch
  int patience = 0;                       ///< epochs without improvement before stopping (0 = off)
  bool keep_best = true;                  ///< restore the best epoch's weights at the end
  std::string checkpoint;                 ///< path written after every epoch ("" = none)
  std::string resume;                     ///< checkpoint to continue from ("" = fresh start)
  size_t eval_batch_size = 4096;
  void validate() const;
};

struct EpochReport {
  int epoch = 0;  ///< 1-based
  int64_t steps = 0;
  uint64_t samples = 0;
  double train_loss = 0.0;  ///< mean over the epoch's samples (multi-task: sum_t w_t L_t)
  std::map<std::string, double> task_losses;  ///< multi-task: each task's mean loss
  double seconds = 0.0;
  double samples_per_second = 0.0;
  std::map<std::string, double> metrics;  ///< on the evaluation rows (empty without them)
  nlohmann::json to_json() const;
};

struct TrainReport {
  std::vector<EpochReport> epochs;
  int best_epoch = 0;
  bool stopped_early = false;
  double seconds = 0.0;
  nlohmann::json to_json() const;
};

/// Is a larger value of `metric` better? (auc, pr_auc, accuracy, ndcg, gauc: yes;
/// logloss, brier, mse: no.)
bool higher_is_better(std::string_view metric);

class Trainer {
 public:
  Trainer(models::CtrModel& model, TrainOptions options, RunContext ctx);
  ~Trainer();

  /// One optimizer step on `batch`; returns the batch's mean loss (multi-task: the loss
  /// weights' sum of the tasks' means; last_task_losses() has each task's mean).
  double step(const models::Batch& batch);

  /// Probabilities (bce) or values (mse) for `rows` of `dataset`, in `rows` order,
  /// [rows.size() * T] row-major.
  std::vector<float> predict(const Dataset& dataset, std::span<const uint64_t> rows);

  /// Trains on train_rows, evaluating on eval_rows (may be empty) after each epoch.
  /// on_epoch is called after each epoch (for printing).
  TrainReport fit(const Dataset& dataset, std::span<const uint64_t> train_rows, std::span<const uint64_t> eval_rows,
                  const std::function<void(const EpochReport&)>& on_epoch = {});

  const std::vector<double>& last_task_losses() const;
  /// ipw: the propensity estimate of the last fit() (null otherwise).
  const nlohmann::json& propensity_report() const { return propensity_report_; }
  optim::Optimizer& optimizer() { return *optimizer_; }
  int64_t steps_done() const { return optimizer_->step(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  models::CtrModel& model_;
  TrainOptions options_;
  RunContext ctx_;
  std::unique_ptr<optim::Optimizer> optimizer_;
  nlohmann::json propensity_report_;
};

/// Scores rows with a model on ctx.threads threads (no trainer needed): [rows.size() * T]
/// row-major, logits turned into probabilities (sigmoid; chained heads: running products,
/// see nn::multitask_probabilities) unless raw_logits.
/// position_logged: feed each row's logged position (position feature / tower included) instead
/// of scoring "position zeroed", the default for serving (models/position_bias.h).
std::vector<float> predict_rows(const models::CtrModel& model, const Dataset& dataset,
                                std::span<const uint64_t> rows, const RunContext& ctx, bool raw_logits = false,
                                size_t batch_size = 4096, bool position_logged = false);


/// MMoE: each task's gate weights averaged over `rows` ([T][E], each row sums to 1) — which
/// experts each task relies on. Empty for other heads.
std::vector<std::vector<double>> mean_gate_weights(const models::CtrModel& model, const Dataset& dataset,
                                                   std::span<const uint64_t> rows, const RunContext& ctx,
                                                   size_t batch_size = 4096);

}  // namespace reco::train
