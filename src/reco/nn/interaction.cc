#include "reco/nn/interaction.h"

#include <algorithm>
#include <cstring>

#include "reco/core/error.h"

namespace reco::nn {

InteractionKind parse_interaction(std::string_view name) {
  if (name == "dot") return InteractionKind::kDot;
  if (name == "cat" || name == "concat") return InteractionKind::kConcat;
  RECO_THROW(ErrorCode::kInvalidArgument) << "unknown interaction '" << name << "' (expected dot, cat)";
}

std::string_view interaction_name(InteractionKind kind) { return kind == InteractionKind::kDot ? "dot" : "cat"; }

size_t interaction_output_size(InteractionKind kind, size_t n, size_t d, bool self_interaction) {
  if (kind == InteractionKind::kConcat) return n * d;
  return d + (self_interaction ? n * (n + 1) / 2 : n * (n - 1) / 2);
}

namespace {
inline float dot(const float* a, const float* b, size_t d) {
  float s = 0.0f;
  for (size_t k = 0; k < d; ++k) s += a[k] * b[k];
  return s;
}
}  // namespace

void interaction_forward(InteractionKind kind, ConstMatrixView features, size_t n, size_t d, bool self_interaction,
                         MatrixView out) {
  RECO_ASSERT(features.cols == n * d && out.rows == features.rows &&
              out.cols == interaction_output_size(kind, n, d, self_interaction));
  for (size_t b = 0; b < features.rows; ++b) {
    const float* f = features.row(b);
    float* o = out.row(b);
    if (kind == InteractionKind::kConcat) {
      std::memcpy(o, f, n * d * sizeof(float));
      continue;
    }
    std::memcpy(o, f, d * sizeof(float));
    float* z = o + d;
    for (size_t i = 0; i < n; ++i) {
      const size_t jend = self_interaction ? i + 1 : i;
      for (size_t j = 0; j < jend; ++j) *z++ = dot(f + i * d, f + j * d, d);
    }
  }
}

void interaction_backward(InteractionKind kind, ConstMatrixView features, size_t n, size_t d, bool self_interaction,
                          ConstMatrixView dout, MatrixView dfeatures) {
  RECO_ASSERT(dfeatures.rows == features.rows && dfeatures.cols == n * d && dout.rows == features.rows);
  for (size_t b = 0; b < features.rows; ++b) {
    const float* f = features.row(b);
    const float* g = dout.row(b);
    float* df = dfeatures.row(b);
    if (kind == InteractionKind::kConcat) {
      std::memcpy(df, g, n * d * sizeof(float));
      continue;
    }
    std::memcpy(df, g, d * sizeof(float));
    std::fill(df + d, df + n * d, 0.0f);
    const float* gz = g + d;
    for (size_t i = 0; i < n; ++i) {
      float* dfi = df + i * d;
      const float* fi = f + i * d;
      const size_t jend = self_interaction ? i + 1 : i;
      for (size_t j = 0; j < jend; ++j) {
        const float s = *gz++;
        const float* fj = f + j * d;
        float* dfj = df + j * d;
        // d<v_i, v_j>/dv_i = v_j and /dv_j = v_i; on the diagonal both terms land on v_i.
        for (size_t k = 0; k < d; ++k) {
          dfi[k] += s * fj[k];
          dfj[k] += s * fi[k];
        }
      }
    }
  }
}

}  // namespace reco::nn
