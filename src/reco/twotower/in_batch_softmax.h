// In-batch sampled softmax with logQ correction, mixed random negatives and accidental-hit
// masking (Yi et al. 2019, "Sampling-Bias-Corrected Neural Modeling"; Yang et al. 2020,
// "Mixed Negative Sampling"), as small stateless functions on views.
//
// Layout: U [B×d] holds the user-tower vectors of the batch rows; V [C×d], C = B + M, holds
// the item-tower vectors of the columns: V row j < B is row j's positive item, rows B..C-1
// are M extra negatives. col_items[j] is column j's item id (any integer id) and log_q[j]
// its log sampling probability (0 when the correction is off).
//
//   s_ij = <u_i, v_j> / tau - log_q[j]            (one sgemm, alpha = 1/tau)
//   s_ij = -inf  if j != i and col_items[j] == col_items[i]   (accidental hit)
//   loss = sum_i w_i * (logsumexp_j s_ij - s_ii)
//   dL/ds_ij = w_i * (softmax_j(s_i)_j - [j == i])
// so dU = dS V / tau and dV = dS^T U / tau (two more sgemms).
//
// Row-sharded use (the trainer's data parallelism): a worker owning rows [r0, r0 + n)
// calls in_batch_logits and softmax_loss_rows on its rows and input_grad_rows for dU; a
// worker owning a set of columns calls column_grad with the full dS. Gradients are written
// (not accumulated), each multiplied by grad_scale (the trainer passes 1 / total weight).
#pragma once

#include <cstdint>
#include <span>

#include "reco/nn/tensor.h"

namespace reco::twotower {

/// S_rows [n×C] = U_rows V^T / tau - log_q, then accidental hits -> -inf. Row i of U_rows is
/// batch row r0 + i, whose positive is column r0 + i.
void in_batch_logits(nn::ConstMatrixView u_rows, nn::ConstMatrixView v, size_t r0, std::span<const uint32_t> col_items,
                     std::span<const float> log_q, float inv_temperature, nn::MatrixView s_rows);

/// Softmax cross-entropy of rows [r0, r0 + n) against their diagonal column; S is replaced
/// by dL/dS * grad_scale. weights: empty (all 1) or one per batch row (indexed r0 + i).
/// Returns the weighted loss sum of these rows (unscaled).
double softmax_loss_rows(nn::MatrixView s_rows, size_t r0, std::span<const float> weights, float grad_scale);

/// dU_rows = dS_rows V / tau.
void user_grad_rows(nn::ConstMatrixView ds_rows, nn::ConstMatrixView v, float inv_temperature, nn::MatrixView du_rows);

/// dV[cols] = dS[:, c0..c0+n)^T U / tau for the columns [c0, c0 + n).
void item_grad_cols(nn::ConstMatrixView ds, nn::ConstMatrixView u, size_t c0, size_t n, float inv_temperature,
                    nn::MatrixView dv_cols);

/// The whole loss on one thread: returns the weighted loss sum; dU [B×d] and dV [C×d] get
/// gradients times grad_scale. s is scratch resized to [B×C] (holds dS afterwards).
double in_batch_softmax_loss(nn::ConstMatrixView u, nn::ConstMatrixView v, std::span<const uint32_t> col_items,
                             std::span<const float> log_q, float inv_temperature, std::span<const float> weights,
                             float grad_scale, nn::Tensor& s, nn::MatrixView du, nn::MatrixView dv);

/// y = x / ||x|| row-wise (a zero row stays zero); inv_norm[r] = 1 / ||x_r|| (0 for a zero row).
/// y may alias x.
void l2_normalize_rows(nn::ConstMatrixView x, nn::MatrixView y, std::span<float> inv_norm);
/// dx = (dy - y <y, dy>) * inv_norm, given y and inv_norm from l2_normalize_rows; dx may alias dy.
void l2_normalize_backward(nn::ConstMatrixView y, std::span<const float> inv_norm, nn::ConstMatrixView dy,
                           nn::MatrixView dx);

}  // namespace reco::twotower
