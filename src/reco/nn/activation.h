// Element-wise activations, softmax and dropout as small stateless functions on views.
// Backward functions take the forward *output* y (every activation here has a derivative
// expressible from y, so the input need not be kept) and scale dy in place.
#pragma once

#include <string_view>

#include "reco/core/rng.h"
#include "reco/nn/tensor.h"

namespace reco::nn {

enum class Activation : uint8_t { kNone, kRelu, kSigmoid, kTanh };

/// "none" | "relu" | "sigmoid" | "tanh"; throws kInvalidArgument listing them.
Activation parse_activation(std::string_view name);
std::string_view activation_name(Activation a);

/// y = act(y + bias) row-wise, in place; bias is [cols] or nullptr.
void bias_activation_forward(MatrixView y, const float* bias, Activation a);
/// dy *= act'(.) given the forward output y.
void activation_backward(ConstMatrixView y, MatrixView dy, Activation a);

/// Numerically stable sigmoid of one value.
float sigmoid(float x);

/// Row-wise softmax (max-subtracted), out may alias x.
void softmax_rows(ConstMatrixView x, MatrixView out);
/// dx = y * (dy - sum(dy * y)) row-wise, given softmax output y; dx may alias dy.
void softmax_rows_backward(ConstMatrixView y, ConstMatrixView dy, MatrixView dx);

/// Inverted dropout: mask[i] = 0 with probability `rate`, else 1/(1-rate); x *= mask.
/// rate in [0, 1). mask gets x's shape.
void dropout_forward(MatrixView x, float rate, Rng& rng, Tensor& mask);
/// dy *= mask.
void dropout_backward(const Tensor& mask, MatrixView dy);

}  // namespace reco::nn
