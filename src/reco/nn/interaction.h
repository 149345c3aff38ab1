// Feature interactions between the bottom MLP output and the embedding vectors (DLRM,
// Naumov et al. 2019; seed 004 §12).
//
// Input layout: features [batch, n * d] — per example, n vectors of size d side by side;
// vector 0 is the bottom-MLP output, vectors 1..n-1 the pooled embeddings.
//
// Dot interaction: output [batch, d + P] = [vector 0, z_(1,0), z_(2,0), z_(2,1), z_(3,0), ...]
// where z_(i,j) = <v_i, v_j> for i > j (strict lower triangle, row by row: P = n(n-1)/2),
// or i >= j with `self_interaction` (P = n(n+1)/2).
// Concat interaction: output = features (the identity; the top MLP sees every vector).
// An FM-style second-order term fits the same signature later.
#pragma once

#include <string_view>

#include "reco/nn/tensor.h"

namespace reco::nn {

enum class InteractionKind : uint8_t { kDot, kConcat };
/// "dot" | "cat" (also "concat").
InteractionKind parse_interaction(std::string_view name);
std::string_view interaction_name(InteractionKind kind);

/// Output width for n vectors of size d.
size_t interaction_output_size(InteractionKind kind, size_t n, size_t d, bool self_interaction);

/// out: [batch, interaction_output_size(...)].
void interaction_forward(InteractionKind kind, ConstMatrixView features, size_t n, size_t d, bool self_interaction,
                         MatrixView out);
/// dfeatures (overwritten): gradient w.r.t. features given dout.
void interaction_backward(InteractionKind kind, ConstMatrixView features, size_t n, size_t d, bool self_interaction,
                          ConstMatrixView dout, MatrixView dfeatures);

}  // namespace reco::nn
