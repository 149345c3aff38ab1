#include "reco/twotower/in_batch_softmax.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
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

namespace {

constexpr size_t kLanes = 16;  // independent partial max/sum accumulators, so -O3 vectorises the loops

/// exp(x) for x <= 0 (logits after the row max is subtracted), relative error < 3e-7, 0 below
/// -87 (and for -inf, the masked columns). Written branch-free in plain float/int arithmetic so
/// the row loop vectorises; std::exp is a scalar libm call and was a quarter of a training step.
inline float exp_nonpositive(float x) {
  const bool underflow = !(x > -87.0f);  // also true for -inf and NaN
  x = underflow ? -87.0f : x;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float n = (x * 1.44269504088896341f + kRound) - kRound;
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;  // x - n ln2, ln2 split hi + lo
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const float scale = std::bit_cast<float>((static_cast<int32_t>(n) + 127) << 23);  // 2^n, n >= -126
  return underflow ? 0.0f : p * scale;
}

float row_max(const float* s, size_t n, float init) {
  float lane[kLanes];
  for (float& l : lane) l = init;
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (size_t k = 0; k < kLanes; ++k) lane[k] = s[j + k] > lane[k] ? s[j + k] : lane[k];
  float mx = init;
  for (float l : lane) mx = std::max(mx, l);
  for (; j < n; ++j) mx = std::max(mx, s[j]);
  return mx;
}

/// s[j] = exp(s[j] - mx); returns the sum (float lanes, combined in double).
double exp_shift_sum(float* s, size_t n, float mx) {
  for (size_t j = 0; j < n; ++j) s[j] = exp_nonpositive(s[j] - mx);
  float lane[kLanes] = {};
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (size_t k = 0; k < kLanes; ++k) lane[k] += s[j + k];
  double sum = 0.0;
  for (float l : lane) sum += l;
  for (; j < n; ++j) sum += s[j];
  return sum;
}

}  // namespace

double softmax_loss_rows(nn::MatrixView s_rows, size_t r0, std::span<const float> weights, float grad_scale) {
  double total = 0.0;
  for (size_t i = 0; i < s_rows.rows; ++i) {
    float* s = s_rows.row(i);
    const size_t diag = r0 + i;
    const float mx = row_max(s, s_rows.cols, s[diag]);
    const double sum = exp_shift_sum(s, s_rows.cols, mx);
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
