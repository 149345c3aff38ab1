// Losses as small stateless functions. Each returns the *sum* of per-example weighted
// losses (double) over the examples it is given and writes the gradient w.r.t. its inputs
// multiplied by `grad_scale` — the trainer passes 1 / (total weight of the whole batch) so
// that shards of a batch produce exactly the gradient of the batch mean.
//
// Labels may be NaN: the example is masked (no loss, zero gradient) — e.g. a conversion
// label defined only on clicked rows. Weights may be empty (all 1).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "reco/nn/tensor.h"

namespace reco::nn {

enum class LossKind : uint8_t { kBceWithLogits, kMse, kSoftmaxCrossEntropy, kPairwiseLogistic };
/// "bce" (binary cross-entropy with logits) | "mse" | "softmax_ce" | "pairwise_logistic".
LossKind parse_loss(std::string_view name);
std::string_view loss_name(LossKind kind);

/// Binary cross-entropy on logits z: -[y log s(z) + (1-y) log(1-s(z))], computed stably as
/// max(z,0) - z*y + log(1 + exp(-|z|)). Gradient: (s(z) - y) * w * grad_scale. y in [0,1].
double bce_with_logits(std::span<const float> logits, std::span<const float> labels, std::span<const float> weights,
                       float grad_scale, std::span<float> dlogits);

/// Binary cross-entropy over T task columns at once. logits and dlogits are [n, T]; labels
/// are [n * T] row-major (NaN = this task is masked on this row); weights [n] (per row),
/// [n * T] (per row and task, T > 1: e.g. inverse propensity weights) or empty.
/// task_scale[t] multiplies task t's gradient (the trainer passes loss_weight / total weight
/// of task t in the batch); task_loss[t] receives the *unscaled* weighted loss sum of task t.
///
/// chain = false: task t's probability is sigmoid(z_t) (independent heads: shared-bottom, MMoE).
/// chain = true (ESMM / ESM2): p_t = prod_{j<=t} sigmoid(z_j) — the probability of reaching
///   step t of the funnel (impression -> click -> ... ) over the entire impression space, so
///   head t's own sigmoid(z_t) is the conditional rate p_t / p_{t-1} (e.g. pCVR). Each labelled
///   p_t adds -[y log p_t + (1-y) log(1-p_t)], computed in log space: log p_t = sum log s(z_j)
///   and log(1-p_t) = log1mexp(log p_t); its gradient reaches every z_j, j <= t, as
///   (p_t - y)/(1 - p_t) * (1 - s(z_j)), evaluated as a ratio bounded by 1 since p_t <= s(z_j).
void multitask_bce_with_logits(ConstMatrixView logits, std::span<const float> labels, std::span<const float> weights,
                               bool chain, std::span<const float> task_scale, std::span<double> task_loss,
                               MatrixView dlogits);

/// Probabilities from [n, T] logits in place: sigmoid per column, or (chain) the running
/// products p_t = prod_{j<=t} sigmoid(z_j).
void multitask_probabilities(MatrixView logits, bool chain);

/// 0.5 * (p - y)^2 * w; gradient (p - y) * w * grad_scale.
double mse(std::span<const float> predictions, std::span<const float> labels, std::span<const float> weights,
           float grad_scale, std::span<float> dpredictions);

/// Softmax cross-entropy over rows of logits [batch, classes] with integer targets
/// (target < 0 = masked). Gradient (softmax - onehot) * w * grad_scale.
double softmax_cross_entropy(ConstMatrixView logits, std::span<const int32_t> targets, std::span<const float> weights,
                             float grad_scale, MatrixView dlogits);

/// RankNet pairwise logistic loss within groups: for every pair (i, j) in the same group
/// with label_i > label_j, log(1 + exp(-(s_i - s_j))) * w_i. `groups` gives each example's
/// group id; examples of one group must be contiguous. Gradient accumulates into dscores
/// (overwritten first) times grad_scale. Returns the loss sum; *pairs gets the pair count.
double pairwise_logistic(std::span<const float> scores, std::span<const float> labels,
                         std::span<const uint64_t> groups, std::span<const float> weights, float grad_scale,
                         std::span<float> dscores, uint64_t* pairs = nullptr);

}  // namespace reco::nn
