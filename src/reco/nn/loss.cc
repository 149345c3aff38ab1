#include "reco/nn/loss.h"

#include <algorithm>
#include <cmath>

#include "reco/core/error.h"
#include "reco/nn/activation.h"

namespace reco::nn {

LossKind parse_loss(std::string_view name) {
  if (name == "bce" || name == "logloss" || name == "binary_cross_entropy") return LossKind::kBceWithLogits;
  if (name == "mse") return LossKind::kMse;
  if (name == "softmax_ce") return LossKind::kSoftmaxCrossEntropy;
  if (name == "pairwise_logistic") return LossKind::kPairwiseLogistic;
  RECO_THROW(ErrorCode::kInvalidArgument) << "unknown loss '" << name
                                          << "' (expected bce, mse, softmax_ce, pairwise_logistic)";
}

std::string_view loss_name(LossKind kind) {
  switch (kind) {
    case LossKind::kBceWithLogits: return "bce";
    case LossKind::kMse: return "mse";
    case LossKind::kSoftmaxCrossEntropy: return "softmax_ce";
    case LossKind::kPairwiseLogistic: return "pairwise_logistic";
  }
  return "?";
}

namespace {
inline float weight_at(std::span<const float> w, size_t i) { return w.empty() ? 1.0f : w[i]; }
}  // namespace

double bce_with_logits(std::span<const float> logits, std::span<const float> labels, std::span<const float> weights,
                       float grad_scale, std::span<float> dlogits) {
  RECO_ASSERT(labels.size() == logits.size() && dlogits.size() == logits.size());
  RECO_ASSERT(weights.empty() || weights.size() == logits.size());
  double total = 0.0;
  for (size_t i = 0; i < logits.size(); ++i) {
    const float y = labels[i];
    if (std::isnan(y)) {
      dlogits[i] = 0.0f;
      continue;
    }
    const float z = logits[i];
    const float w = weight_at(weights, i);
    total += w * (std::max(z, 0.0f) - z * y + std::log1p(std::exp(-std::fabs(z))));
    const float p = z >= 0.0f ? 1.0f / (1.0f + std::exp(-z)) : std::exp(z) / (1.0f + std::exp(z));
    dlogits[i] = (p - y) * w * grad_scale;
  }
  return total;
}

namespace {
// log(sigmoid(z)) = -softplus(-z), stable for any z.
inline double log_sigmoid(double z) { return z >= 0 ? -std::log1p(std::exp(-z)) : z - std::log1p(std::exp(z)); }
// log(1 - exp(a)) for a <= 0 (Maechler's two branches keep full precision near 0 and -inf).
inline double log1mexp(double a) { return a > -0.6931471805599453 ? std::log(-std::expm1(a)) : std::log1p(-std::exp(a)); }
}  // namespace

void multitask_bce_with_logits(ConstMatrixView logits, std::span<const float> labels, std::span<const float> weights,
                               bool chain, std::span<const float> task_scale, std::span<double> task_loss,
                               MatrixView dlogits) {
  const size_t n = logits.rows, tasks = logits.cols;
  RECO_ASSERT(labels.size() == n * tasks && dlogits.rows == n && dlogits.cols == tasks);
  const bool per_task = weights.size() == n * tasks && tasks > 1;
  RECO_ASSERT(weights.empty() || weights.size() == n || per_task);
  RECO_ASSERT(task_scale.size() == tasks && task_loss.size() == tasks);
  std::fill(task_loss.begin(), task_loss.end(), 0.0);
  // Weight of (row r, task t): per row, or per row and task ([n * T], e.g. inverse propensities).
  auto weight = [&](size_t r, size_t t) { return per_task ? weights[r * tasks + t] : weight_at(weights, r); };
  if (!chain) {
    for (size_t r = 0; r < n; ++r) {
      const float* z = logits.row(r);
      const float* y = labels.data() + r * tasks;
      float* g = dlogits.row(r);
      for (size_t t = 0; t < tasks; ++t) {
        const float w = weight(r, t);
        if (std::isnan(y[t])) {
          g[t] = 0.0f;
          continue;
        }
        task_loss[t] += w * (std::max(z[t], 0.0f) - z[t] * y[t] + std::log1p(std::exp(-std::fabs(z[t]))));
        g[t] = (sigmoid(z[t]) - y[t]) * w * task_scale[t];
      }
    }
    return;
  }
  for (size_t r = 0; r < n; ++r) {
    const float* z = logits.row(r);
    const float* y = labels.data() + r * tasks;
    float* g = dlogits.row(r);
    std::fill_n(g, tasks, 0.0f);
    double log_p = 0.0;
    for (size_t t = 0; t < tasks; ++t) {
      const float w = weight(r, t);
      log_p += log_sigmoid(z[t]);
      if (std::isnan(y[t])) continue;
      const double log_1mp = log1mexp(std::min(log_p, -1e-300));
      task_loss[t] += w * -(y[t] * log_p + (1.0 - y[t]) * log_1mp);
      // dL/dz_j = [-y + (1-y) p/(1-p)] (1 - s(z_j)) = -y (1-s_j) + (1-y) p (1-s_j)/(1-p).
      const double p = std::exp(log_p);
      const double scale = static_cast<double>(w) * task_scale[t];
      for (size_t j = 0; j <= t; ++j) {
        const double log_1ms = log_sigmoid(-static_cast<double>(z[j]));
        const double ratio = std::min(1.0, std::exp(log_1ms - log_1mp));
        g[j] += static_cast<float>(scale * (-y[t] * std::exp(log_1ms) + (1.0 - y[t]) * p * ratio));
      }
    }
  }
}

void multitask_probabilities(MatrixView logits, bool chain) {
  for (size_t r = 0; r < logits.rows; ++r) {
    float* z = logits.row(r);
    double log_p = 0.0;
    for (size_t t = 0; t < logits.cols; ++t) {
      if (chain) {
        log_p += log_sigmoid(z[t]);
        z[t] = static_cast<float>(std::exp(log_p));
      } else {
        z[t] = sigmoid(z[t]);
      }
    }
  }
}

double mse(std::span<const float> predictions, std::span<const float> labels, std::span<const float> weights,
           float grad_scale, std::span<float> dpredictions) {
  RECO_ASSERT(labels.size() == predictions.size() && dpredictions.size() == predictions.size());
  double total = 0.0;
  for (size_t i = 0; i < predictions.size(); ++i) {
    const float y = labels[i];
    if (std::isnan(y)) {
      dpredictions[i] = 0.0f;
      continue;
    }
    const float w = weight_at(weights, i);
    const float r = predictions[i] - y;
    total += 0.5 * w * static_cast<double>(r) * r;
    dpredictions[i] = r * w * grad_scale;
  }
  return total;
}

double softmax_cross_entropy(ConstMatrixView logits, std::span<const int32_t> targets, std::span<const float> weights,
                             float grad_scale, MatrixView dlogits) {
  RECO_ASSERT(targets.size() == logits.rows && dlogits.rows == logits.rows && dlogits.cols == logits.cols);
  double total = 0.0;
  for (size_t r = 0; r < logits.rows; ++r) {
    const float* z = logits.row(r);
    float* g = dlogits.row(r);
    const int32_t t = targets[r];
    if (t < 0) {
      std::fill_n(g, logits.cols, 0.0f);
      continue;
    }
    RECO_CHECK(static_cast<size_t>(t) < logits.cols)
        << "softmax_ce: target " << t << " out of range for " << logits.cols << " classes";
    float mx = z[0];
    for (size_t j = 1; j < logits.cols; ++j) mx = std::max(mx, z[j]);
    double sum = 0.0;
    for (size_t j = 0; j < logits.cols; ++j) sum += std::exp(static_cast<double>(z[j] - mx));
    const double log_sum = std::log(sum) + mx;
    const float w = weight_at(weights, r);
    total += w * (log_sum - z[t]);
    for (size_t j = 0; j < logits.cols; ++j) {
      const float p = static_cast<float>(std::exp(z[j] - log_sum));
      g[j] = (p - (static_cast<size_t>(t) == j ? 1.0f : 0.0f)) * w * grad_scale;
    }
  }
  return total;
}

double pairwise_logistic(std::span<const float> scores, std::span<const float> labels,
                         std::span<const uint64_t> groups, std::span<const float> weights, float grad_scale,
                         std::span<float> dscores, uint64_t* pairs) {
  RECO_ASSERT(labels.size() == scores.size() && groups.size() == scores.size() && dscores.size() == scores.size());
  std::fill(dscores.begin(), dscores.end(), 0.0f);
  double total = 0.0;
  uint64_t n_pairs = 0;
  size_t lo = 0;
  while (lo < scores.size()) {
    size_t hi = lo + 1;
    while (hi < scores.size() && groups[hi] == groups[lo]) ++hi;
    for (size_t i = lo; i < hi; ++i) {
      if (std::isnan(labels[i])) continue;
      for (size_t j = lo; j < hi; ++j) {
        if (std::isnan(labels[j]) || !(labels[i] > labels[j])) continue;
        const float diff = scores[i] - scores[j];
        const float w = weight_at(weights, i);
        // log(1 + exp(-diff)) computed stably; its derivative w.r.t. diff is -sigmoid(-diff).
        total += w * (std::max(-diff, 0.0f) + std::log1p(std::exp(-std::fabs(diff))));
        const float s = -diff >= 0.0f ? 1.0f / (1.0f + std::exp(diff)) : std::exp(-diff) / (1.0f + std::exp(-diff));
        dscores[i] -= s * w * grad_scale;
        dscores[j] += s * w * grad_scale;
        ++n_pairs;
      }
    }
    lo = hi;
  }
  if (pairs) *pairs = n_pairs;
  return total;
}

}  // namespace reco::nn
