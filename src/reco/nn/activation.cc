#include "reco/nn/activation.h"

#include <algorithm>
#include <cmath>

#include "reco/core/error.h"

namespace reco::nn {

Activation parse_activation(std::string_view name) {
  if (name == "none" || name == "linear") return Activation::kNone;
  if (name == "relu") return Activation::kRelu;
  if (name == "sigmoid") return Activation::kSigmoid;
  if (name == "tanh") return Activation::kTanh;
  RECO_THROW(ErrorCode::kInvalidArgument) << "unknown activation '" << name << "' (expected none, relu, sigmoid, tanh)";
}

std::string_view activation_name(Activation a) {
  switch (a) {
    case Activation::kNone: return "none";
    case Activation::kRelu: return "relu";
    case Activation::kSigmoid: return "sigmoid";
    case Activation::kTanh: return "tanh";
  }
  return "?";
}

float sigmoid(float x) {
  // Two branches so exp never overflows.
  if (x >= 0.0f) return 1.0f / (1.0f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.0f + e);
}

void bias_activation_forward(MatrixView y, const float* bias, Activation a) {
  const size_t n = y.cols;
  for (size_t r = 0; r < y.rows; ++r) {
    float* row = y.row(r);
    if (bias)
      for (size_t j = 0; j < n; ++j) row[j] += bias[j];
    switch (a) {
      case Activation::kNone: break;
      case Activation::kRelu:
        for (size_t j = 0; j < n; ++j) row[j] = std::max(row[j], 0.0f);
        break;
      case Activation::kSigmoid:
        for (size_t j = 0; j < n; ++j) row[j] = sigmoid(row[j]);
        break;
      case Activation::kTanh:
        for (size_t j = 0; j < n; ++j) row[j] = std::tanh(row[j]);
        break;
    }
  }
}

void activation_backward(ConstMatrixView y, MatrixView dy, Activation a) {
  RECO_ASSERT(y.rows == dy.rows && y.cols == dy.cols);
  const size_t n = y.cols;
  for (size_t r = 0; r < y.rows; ++r) {
    const float* yr = y.row(r);
    float* d = dy.row(r);
    switch (a) {
      case Activation::kNone: break;
      case Activation::kRelu:
        for (size_t j = 0; j < n; ++j) d[j] = yr[j] > 0.0f ? d[j] : 0.0f;
        break;
      case Activation::kSigmoid:
        for (size_t j = 0; j < n; ++j) d[j] *= yr[j] * (1.0f - yr[j]);
        break;
      case Activation::kTanh:
        for (size_t j = 0; j < n; ++j) d[j] *= 1.0f - yr[j] * yr[j];
        break;
    }
  }
}

void softmax_rows(ConstMatrixView x, MatrixView out) {
  RECO_ASSERT(x.rows == out.rows && x.cols == out.cols);
  for (size_t r = 0; r < x.rows; ++r) {
    const float* xr = x.row(r);
    float* o = out.row(r);
    float mx = -INFINITY;
    for (size_t j = 0; j < x.cols; ++j) mx = std::max(mx, xr[j]);
    double sum = 0.0;
    for (size_t j = 0; j < x.cols; ++j) {
      o[j] = std::exp(xr[j] - mx);
      sum += o[j];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (size_t j = 0; j < x.cols; ++j) o[j] *= inv;
  }
}

void softmax_rows_backward(ConstMatrixView y, ConstMatrixView dy, MatrixView dx) {
  RECO_ASSERT(y.rows == dy.rows && y.cols == dy.cols && dx.rows == y.rows && dx.cols == y.cols);
  for (size_t r = 0; r < y.rows; ++r) {
    const float* yr = y.row(r);
    const float* d = dy.row(r);
    double dot = 0.0;
    for (size_t j = 0; j < y.cols; ++j) dot += static_cast<double>(d[j]) * yr[j];
    float* o = dx.row(r);
    for (size_t j = 0; j < y.cols; ++j) o[j] = yr[j] * (d[j] - static_cast<float>(dot));
  }
}

void dropout_forward(MatrixView x, float rate, Rng& rng, Tensor& mask) {
  RECO_CHECK(rate >= 0.0f && rate < 1.0f) << "dropout rate must be in [0, 1), got " << rate;
  mask.resize(x.rows, x.cols);
  const float keep = 1.0f / (1.0f - rate);
  for (size_t r = 0; r < x.rows; ++r) {
    float* m = mask.row(r);
    float* xr = x.row(r);
    for (size_t j = 0; j < x.cols; ++j) {
      m[j] = rng.uniform_float() < rate ? 0.0f : keep;
      xr[j] *= m[j];
    }
  }
}

void dropout_backward(const Tensor& mask, MatrixView dy) {
  RECO_ASSERT(mask.rows() == dy.rows && mask.cols() == dy.cols);
  for (size_t r = 0; r < dy.rows; ++r) {
    const float* m = mask.row(r);
    float* d = dy.row(r);
    for (size_t j = 0; j < dy.cols; ++j) d[j] *= m[j];
  }
}

}  // namespace reco::nn
