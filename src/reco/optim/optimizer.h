// Optimizer — updates Parameters from their gradients, keeping per-parameter state.
//
// Protocol, once per training step:
//   opt.begin_step();                       // t += 1; lr() = schedule(t)
//   opt.update_dense(slot, grad, lo, hi);   // elements [lo, hi) of a dense parameter
//   opt.update_rows(slot, row_grad, lo, hi);// entries [lo, hi) of a RowGrad (sparse table)
// update_* calls for distinct slots, or for disjoint ranges of the same slot, may run
// concurrently from different threads (the caller shards big tensors across its workers);
// begin_step() must not overlap any update. Element-wise math, so the result does not
// depend on how the caller shards.
//
// Sparse tables: only the rows in the RowGrad are read or written ("lazy" semantics):
// SGD/Adagrad touch only those rows; LazyAdam updates m, v and the weights of those rows
// only (Airbnb, seed 004 §13.5); plain Adam on a sparse table is rejected at add() — use
// lazy_adam — because a dense Adam step would have to move every row every step.
// Weight decay on a sparse table is applied to the touched rows only.
//
// Per-parameter rates: a dense parameter uses lr() and weight_decay; a sparse table uses
// lr() * embedding_lr_scale and embedding_weight_decay; Parameter::decay == false turns
// decay off for that parameter. Coupled decay adds wd * w to the gradient before the
// optimizer's own math (L2); decoupled decay scales the weight by (1 - lr * wd) before the
// update (AdamW; lr is the scheduled rate, without Adam's bias correction).
//
// Update rules (g = gradient after coupled decay; the concrete classes give details):
//   sgd        b = mu * b + g; u = nesterov ? g + mu * b : b (u = g when mu = 0); w -= lr * u
//   adagrad    a += g^2; w -= lr * g / (sqrt(a) + eps)
//   adam       m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
//              w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)   (PyTorch's form)
//   lazy_adam  adam on the touched rows only, bias correction with the global step t.
//
// State layout: per slot, zero or more Tensors the same shape as the parameter
// (SGD: momentum b when mu > 0; Adagrad: accumulator a; Adam: m then v). save/load go
// through the binary container so a checkpoint resumes bit for bit: a JSON section
// "<prefix>meta" (kind, step, and per slot name, shape and state count) and one float32
// section "<prefix><slot>.<k>" per state tensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "reco/nn/parameter.h"
#include "reco/optim/lr_schedule.h"

namespace reco {
class ContainerWriter;
class Container;
}  // namespace reco

namespace reco::optim {

enum class OptimizerKind : uint8_t { kSgd, kAdagrad, kAdam, kLazyAdam };

/// "sgd" | "adagrad" | "adam" | "lazy_adam"; throws kInvalidArgument listing them.
OptimizerKind parse_optimizer_kind(std::string_view name);
std::string_view optimizer_kind_name(OptimizerKind kind);

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::kSgd;
  LrSchedule schedule;               ///< base lr, warm-up, decay
  float momentum = 0.0f;             ///< SGD; 0 = plain SGD
  bool nesterov = false;             ///< SGD
  float beta1 = 0.9f;                ///< Adam / LazyAdam
  float beta2 = 0.999f;              ///< Adam / LazyAdam
  float epsilon = 1e-8f;             ///< Adam / LazyAdam / Adagrad
  float adagrad_init = 0.0f;         ///< Adagrad initial accumulator value
  float weight_decay = 0.0f;         ///< L2 added to the gradient (SGD/Adagrad/Adam) ...
  bool decoupled_decay = false;      ///< ... or AdamW-style decoupled decay (w -= lr*wd*w)
  float embedding_lr_scale = 1.0f;   ///< lr multiplier for sparse tables
  float embedding_weight_decay = 0.0f;  ///< weight decay for sparse tables (touched rows)
  void validate() const;             ///< throws kInvalidArgument naming the field
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;

  /// Registers `p` and allocates its state; returns the slot. p must outlive the optimizer.
  virtual size_t add(nn::Parameter& p) = 0;
  size_t slots() const { return params_.size(); }
  nn::Parameter& param(size_t slot) { return *params_[slot]; }
  /// The state tensors of `slot` (see "State layout"); read-only, for tests and inspection.
  const std::vector<nn::Tensor>& state(size_t slot) const { return state_[slot]; }

  void begin_step();
  int64_t step() const { return step_; }
  float lr() const { return lr_; }

  /// grad has the parameter's shape; updates elements [lo, hi) (flat indices). Allowed for
  /// sparse tables too (every row then counts as touched).
  virtual void update_dense(size_t slot, const nn::Tensor& grad, size_t lo, size_t hi) = 0;
  void update_dense(size_t slot, const nn::Tensor& grad) { update_dense(slot, grad, 0, grad.size()); }
  /// Updates the rows listed in grad.rows[lo, hi) of a sparse parameter (kInvalidArgument
  /// for a dense one, a row out of range or a grad of the wrong width).
  virtual void update_rows(size_t slot, const nn::RowGrad& grad, size_t lo, size_t hi) = 0;
  void update_rows(size_t slot, const nn::RowGrad& grad) { update_rows(slot, grad, 0, grad.rows.size()); }

  /// When this step's update of `slot` is exactly w -= rate * g (no state, no weight decay:
  /// plain SGD), that rate; otherwise a negative value. A sparse table's gradient may then be
  /// applied lookup by lookup without coalescing it into a RowGrad first (the trainer does, as
  /// PyTorch's sparse SGD does): the same sums, to the rounding of the duplicates' order.
  virtual float plain_sgd_rate(size_t /*slot*/) const { return -1.0f; }

  /// Checkpoint: step counter and every state tensor, as sections "<prefix>..." (prefix at
  /// most 32 bytes: container section names are short).
  void save(ContainerWriter& out, std::string_view prefix) const;
  /// Restores what save() wrote; the same parameters must have been add()ed in the same
  /// order (kind, names, shapes are checked; kCorrupt naming the parameter on mismatch).
  void load(const Container& in, std::string_view prefix);

  const OptimizerConfig& config() const { return config_; }

 protected:
  /// Validates the config (kInvalidArgument naming the field).
  explicit Optimizer(OptimizerConfig config);

  /// The rates one update call of `slot` uses this step (see "Per-parameter rates").
  struct SlotRates {
    float lr = 0.0f;          ///< lr() times the slot's scale
    float coupled_wd = 0.0f;  ///< added to the gradient: g + coupled_wd * w
    float keep = 1.0f;        ///< decoupled decay: w <- keep * w before the update
  };
  SlotRates rates(size_t slot) const;

  /// Common part of add(): records p and allocates `n_state` state tensors of p's shape
  /// filled with `state_init`; returns the slot.
  size_t register_param(nn::Parameter& p, size_t n_state, float state_init);
  /// Argument checks shared by the update_* implementations.
  void check_dense(size_t slot, const nn::Tensor& grad, size_t lo, size_t hi) const;
  void check_rows(size_t slot, const nn::RowGrad& grad, size_t lo, size_t hi) const;
  /// Called at the end of begin_step() and load(): recompute per-step constants (Adam's
  /// bias corrections) from step_ and lr_. Updates only read them.
  virtual void prepare_step() {}

  /// Subclasses register their state tensors for save/load.
  std::vector<nn::Parameter*> params_;
  std::vector<std::vector<nn::Tensor>> state_;  ///< state_[slot][k]
  struct SlotScale {
    float lr_scale = 1.0f;
    float weight_decay = 0.0f;
  };
  std::vector<SlotScale> scales_;  ///< per slot, fixed at add()
  OptimizerConfig config_;
  int64_t step_ = 0;
  float lr_ = 0.0f;
};

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config);

}  // namespace reco::optim
