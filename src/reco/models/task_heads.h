// TaskHeads — the multi-task part of a ranking model: from one input representation x
// [n, in] (the concatenated features of an "mlp" model, or DLRM's interaction output) to T
// logits [n, T], one per task.
//
//   shared_bottom  h = SharedMLP(x) (or h = x when `shared` is empty); logit_t = Tower_t(h)
//   esmm           shared_bottom with chained outputs (the chain lives in the loss and in
//                  the probabilities, nn::multitask_bce_with_logits; the heads are the same)
//   mmoe           E experts e_k = Expert_k(x) [n, de]; per task a gate g_t = softmax(x G_t + c_t)
//                  over the E experts; f_t = sum_k g_t,k e_k; logit_t = Tower_t(f_t)
//                  (Ma et al. 2018). All gates are one Linear in -> T*E whose column block t
//                  is task t's gate. The experts' first layers, which all read x, are one
//                  Linear in -> E*h1 (column block k = expert k; one GEMM instead of E small
//                  ones); deeper expert layers are per-expert MLPs on their block.
// Hidden layers of shared/expert/tower MLPs use the model's activation; a tower's last layer
// is linear (the logit). Every expert's last layer keeps the activation (experts output
// features, not logits).
//
// Threading as for CtrModel: the heads are read-only during a step; all activations and
// gradients live in the caller's TaskHeadsWorkspace.
#pragma once

#include <string>
#include <vector>

#include "reco/core/rng.h"
#include "reco/models/model_spec.h"
#include "reco/nn/linear.h"
#include "reco/nn/mlp.h"

namespace reco::models {

struct TaskHeadsWorkspace {
  nn::MlpWorkspace shared;
  nn::Tensor expert_first;              ///< mmoe: [n, E*h1] all experts' first layer
  nn::Tensor grad_expert_weight, grad_expert_bias;
  std::vector<nn::MlpWorkspace> experts;  ///< mmoe: per expert, its layers after the first
  std::vector<nn::MlpWorkspace> towers;
  nn::Tensor gates;                     ///< mmoe: [n, T*E] softmax weights (column block t = task t)
  std::vector<nn::Tensor> mixed;        ///< mmoe: per task f_t [n, de]
  nn::Tensor logits;                    ///< [n, T]
  nn::Tensor grad_gate_weight, grad_gate_bias;
  // Backward scratch.
  nn::Tensor dh, dtmp, dgates, dexpert_first;
  std::vector<nn::Tensor> dexperts;     ///< mmoe: per expert [n, de]
};

class TaskHeads {
 public:
  TaskHeads() = default;
  /// `in`: width of x; `tasks`: names (one tower each, parameter names "tower.<name>.*").
  TaskHeads(const ModelSpec& spec, size_t in, const std::vector<std::string>& tasks);

  size_t tasks() const { return towers_.size(); }
  size_t experts() const { return expert_count_; }
  HeadKind kind() const { return kind_; }

  void init(Rng& rng);
  std::vector<nn::Parameter*> parameters();
  void prepare(TaskHeadsWorkspace& ws) const;
  /// Gradient tensors in parameters() order.
  static std::vector<nn::Tensor*> gradients(TaskHeadsWorkspace& ws, HeadKind kind, bool has_shared);
  std::vector<nn::Tensor*> gradients(TaskHeadsWorkspace& ws) const { return gradients(ws, kind_, has_shared_); }

  /// ws.logits = the T logits of x's rows.
  void forward(nn::ConstMatrixView x, TaskHeadsWorkspace& ws, Rng* dropout_rng) const;
  /// dlogits [n, T]; accumulates parameter gradients into ws; writes d(loss)/dx into *dx.
  void backward(nn::ConstMatrixView x, nn::ConstMatrixView dlogits, TaskHeadsWorkspace& ws, nn::Tensor* dx) const;

  size_t macs_per_example() const;

 private:
  HeadKind kind_ = HeadKind::kSharedBottom;
  bool has_shared_ = false;
  nn::Mlp shared_;
  size_t expert_count_ = 0;
  size_t expert_hidden_ = 0;        // h1: width of each expert's first layer
  size_t expert_out_ = 0;           // de: width of each expert's output
  nn::Linear expert_first_;         // mmoe: in -> E*h1
  std::vector<nn::Mlp> expert_rest_;  // mmoe: per expert, layers 2.. (empty for one-layer experts)
  /// Expert k's output rows in ws (a column block of expert_first or its own MLP's output).
  nn::ConstMatrixView expert_output(const TaskHeadsWorkspace& ws, size_t k) const;
  nn::Linear gate_;  // mmoe: in -> T*E
  std::vector<nn::Mlp> towers_;
};

}  // namespace reco::models
