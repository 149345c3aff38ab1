#include "reco/twotower/in_batch_softmax.h"

#include <cmath>
#include <limits>

#include "reco/core/error.h"
#include "reco/nn/blas.h"

namespace reco::twotower {

void in_batch_logits(nn::ConstMatrixView u_rows, nn::ConstMatrixView v, size_t r0, std::span<const uint32_t> col_items,
                     std::span<const float> log_q, float inv_temperature, nn::MatrixView s_rows) {
  const size_t n = u_rows.rows, c = v.rows;
  RECO_ASSERT(col_items.size() == c && log_q.size() == c && s_rows.rows == n && s_rows.cols == c && r0 + n <= c)
      << "in_batch_logits: shapes";
  if (n == 0) return;
  nn::gemm(false, true, inv_temperature, u_rows, v, 0.0f, s_rows);
  constexpr float kMasked = -std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < n; ++i) {
    float* s = s_rows.row(i);
    const uint32_t positive = col_items[r0 + i];
    for (size_t j = 0; j < c; ++j) {
      // The positive's own column keeps its logit; any other column holding the same item
      // would push the model away from the positive it is training towards.
      s[j] = (col_items[j] == positive && j != r0 + i) ? kMasked : s[j] - log_q[j];
    }
  }
}

double softmax_loss_rows(nn::MatrixView s_rows, size_t r0, std::span<const float> weights, float grad_scale) {
  double total = 0.0;
  for (size_t i = 0; i < s_rows.rows; ++i) {
    float* s = s_rows.row(i);
    const size_t diag = r0 + i;
    float mx = s[diag];
    for (size_t j = 0; j < s_rows.cols; ++j) mx = std::max(mx, s[j]);
    double sum = 0.0;
    for (size_t j = 0; j < s_rows.cols; ++j) {
      const float e = std::exp(s[j] - mx);  // exp(-inf) = 0 for masked columns
      s[j] = e;
      sum += e;
    }
    const float w = weights.empty() ? 1.0f : weights[diag];
    total += w * (std::log(sum) - std::log(double(s[diag])));
    const float scale = static_cast<float>(w * grad_scale / sum);
    for (size_t j = 0; j < s_rows.cols; ++j) s[j] *= scale;
    s[diag] -= w * grad_scale;
  }
  return total;
}

void user_grad_rows(nn::ConstMatrixView ds_rows, nn::ConstMatrixView v, float inv_temperature, nn::MatrixView du_rows) {
  if (ds_rows.rows == 0) return;
  nn::gemm(false, false, inv_temperature, ds_rows, v, 0.0f, du_rows);
}

void item_grad_cols(nn::ConstMatrixView ds, nn::ConstMatrixView u, size_t c0, size_t n, float inv_temperature,
                    nn::MatrixView dv_cols) {
  if (n == 0) return;
  nn::gemm(true, false, inv_temperature, ds.cols_slice(c0, n), u, 0.0f, dv_cols);
}

double in_batch_softmax_loss(nn::ConstMatrixView u, nn::ConstMatrixView v, std::span<const uint32_t> col_items,
                             std::span<const float> log_q, float inv_temperature, std::span<const float> weights,
                             float grad_scale, nn::Tensor& s, nn::MatrixView du, nn::MatrixView dv) {
  RECO_ASSERT(du.rows == u.rows && du.cols == u.cols && dv.rows == v.rows && dv.cols == v.cols && u.cols == v.cols)
      << "in_batch_softmax_loss: shapes";
  s.resize(u.rows, v.rows);
  in_batch_logits(u, v, 0, col_items, log_q, inv_temperature, s);
  const double loss = softmax_loss_rows(s, 0, weights, grad_scale);
  user_grad_rows(s, v, inv_temperature, du);
  item_grad_cols(s, u, 0, v.rows, inv_temperature, dv);
  return loss;
}

void l2_normalize_rows(nn::ConstMatrixView x, nn::MatrixView y, std::span<float> inv_norm) {
  for (size_t r = 0; r < x.rows; ++r) {
    const float* a = x.row(r);
    double ss = 0.0;
    for (size_t c = 0; c < x.cols; ++c) ss += double(a[c]) * a[c];
    const float inv = ss > 0.0 ? static_cast<float>(1.0 / std::sqrt(ss)) : 0.0f;
    inv_norm[r] = inv;
    float* b = y.row(r);
    for (size_t c = 0; c < x.cols; ++c) b[c] = a[c] * inv;
  }
}

void l2_normalize_backward(nn::ConstMatrixView y, std::span<const float> inv_norm, nn::ConstMatrixView dy,
                           nn::MatrixView dx) {
  for (size_t r = 0; r < y.rows; ++r) {
    const float* a = y.row(r);
    const float* g = dy.row(r);
    float dot = 0.0f;
    for (size_t c = 0; c < y.cols; ++c) dot += a[c] * g[c];
    float* o = dx.row(r);
    for (size_t c = 0; c < y.cols; ++c) o[c] = (g[c] - a[c] * dot) * inv_norm[r];
  }
}

}  // namespace reco::twotower
