#include "reco/nn/precision.h"

#include "reco/core/error.h"

namespace reco::nn {

Precision parse_precision(std::string_view name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "bf16") return Precision::kBf16;
  RECO_THROW(ErrorCode::kInvalidArgument) << "unknown precision '" << name << "' (expected fp32 or bf16)";
}

std::string_view precision_name(Precision p) { return p == Precision::kBf16 ? "bf16" : "fp32"; }

}  // namespace reco::nn
