// Parameter initialization. Every function fills a whole Tensor in row-major order from one
// Rng, so a seed reproduces the values bit for bit (give each parameter its own Rng seeded
// with derive_seed(run seed, stream) to make values independent of construction order).
//
//   xavier_uniform  U(-a, a), a = sqrt(6 / (fan_in + fan_out))     (Glorot & Bengio 2010)
//   xavier_normal   N(0, s^2), s = sqrt(2 / (fan_in + fan_out))
//   uniform         U(lo, hi);   normal  N(mean, std^2);   zeros
//
// Embedding tables [rows, dim] (seed 004 §13.5 and DLRM):
//   kScaledUniform (default, DLRM's): U(-s, s), s = 1 / sqrt(rows) — small tables get larger
//                                      values, huge tables start near zero;
//   kUnitUniform   (Airbnb's choice):  U(-1, 1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "reco/core/rng.h"
#include "reco/nn/tensor.h"

namespace reco::optim {

void xavier_uniform(nn::Tensor& t, size_t fan_in, size_t fan_out, Rng& rng);
void xavier_normal(nn::Tensor& t, size_t fan_in, size_t fan_out, Rng& rng);
/// Values in [lo, hi) (lo < hi).
void uniform(nn::Tensor& t, float lo, float hi, Rng& rng);
/// std >= 0.
void normal(nn::Tensor& t, float mean, float std, Rng& rng);
void zeros(nn::Tensor& t);

enum class EmbeddingInit : uint8_t { kScaledUniform, kUnitUniform };
/// "scaled_uniform" | "unit_uniform"; kInvalidArgument otherwise.
EmbeddingInit parse_embedding_init(std::string_view name);
std::string_view embedding_init_name(EmbeddingInit init);
/// Fills an embedding table [rows, dim] as described above.
void init_embedding(nn::Tensor& table, EmbeddingInit init, Rng& rng);

}  // namespace reco::optim
