// Precision of the dense layers' matrix products (model.precision in a model config).
//   kFp32  every GEMM in fp32 via CBLAS sgemm (the default; bit-for-bit what reco always did)
//   kBf16  mixed precision: the GEMMs of Linear forward and backward read bf16 copies of their
//          inputs (weights, activations, output gradients) and accumulate and write fp32 via
//          oneDNN; master weights, biases, activations' fp32 outputs, gradients and optimizer
//          state stay fp32 (see bf16_gemm.h).
#pragma once

#include <cstdint>
#include <string_view>

namespace reco::nn {

enum class Precision : uint8_t { kFp32, kBf16 };

/// "fp32" | "bf16"; kInvalidArgument otherwise.
Precision parse_precision(std::string_view name);
std::string_view precision_name(Precision p);

}  // namespace reco::nn
