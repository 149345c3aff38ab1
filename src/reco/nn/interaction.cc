#include "reco/nn/interaction.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

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
// One row's pairs <v_i, v_j>, j < i (j <= i with self interaction), written in (i, j) order.
// With the vectors transposed to [d][npad] (columns n..npad zero), pair row i is
// Σ_k v_i[k] · (column k over j): a contiguous update per k instead of one short chain of
// dependent adds per pair (at d = 16 that chain made the interaction ~8 % of a DLRM step).
// Each row runs over j < jend in blocks of kPairPad (the zero padding fills the last block), so
// the vector loop never falls into a scalar remainder.
// z receives the P pair values and must have kPairPad writable floats after them (scratch).
// Built for AVX-512, AVX2 and the baseline, picked at run time (no -march=native assumed).
constexpr size_t kPairPad = 16;
typedef float PairBlock __attribute__((vector_size(kPairPad * sizeof(float))));

typedef int32_t PairMask __attribute__((vector_size(kPairPad * sizeof(int32_t))));

// One butterfly stage of a 16 x 16 transpose: for rows i and i + B, swaps bit B of the row index
// with bit B of the column index (the four stages B = 8, 4, 2, 1 together swap row and column).
// Shuffle indices 0..15 pick from r[i], 16..31 from r[i + B].
template <int B>
__attribute__((always_inline)) inline void butterfly(PairBlock* r, PairMask low, PairMask high) {
  for (int i = 0; i < 16; ++i) {
    if (i & B) continue;
    const PairBlock a = __builtin_shuffle(r[i], r[i + B], low);
    const PairBlock b = __builtin_shuffle(r[i], r[i + B], high);
    r[i] = a;
    r[i + B] = b;
  }
}

// In place: r[k][t] becomes r[t][k] (four butterfly stages of two-source shuffles).
__attribute__((always_inline)) inline void transpose16(PairBlock* r) {
  butterfly<8>(r, PairMask{0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23},
               PairMask{8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31});
  butterfly<4>(r, PairMask{0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27},
               PairMask{4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31});
  butterfly<2>(r, PairMask{0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29},
               PairMask{2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31});
  butterfly<1>(r, PairMask{0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30},
               PairMask{1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31});
}

// transposed[k * npad + jb + t] = f[(jb + t) * 16 + k] for k, t < 16 (rows >= n read as zero):
// 64 two-source shuffles instead of 256 scalar loads and stores (at d = 16 the scalar
// transpose was about half of the interaction's time).
__attribute__((always_inline)) inline void transpose_block16(const float* f, size_t n, size_t jb,
                                                             float* transposed, size_t npad) {
  PairBlock r[16];
  for (size_t t = 0; t < 16; ++t) {
    if (jb + t < n) {
      std::memcpy(&r[t], f + (jb + t) * 16, sizeof(PairBlock));
    } else {
      r[t] = PairBlock{};
    }
  }
  transpose16(r);
  for (size_t k = 0; k < 16; ++k) std::memcpy(transposed + k * npad + jb, &r[k], sizeof(PairBlock));
}

// `blocks` PairBlocks in buf, 64-byte aligned: the AVX-512 clone moves whole blocks with aligned
// zmm loads and stores, while alignof(PairBlock) is only 16 in this file's baseline target.
PairBlock* aligned_blocks(std::vector<float>& buf, size_t blocks) {
  constexpr size_t kAlign = sizeof(PairBlock);
  buf.resize((blocks + 1) * kPairPad);
  void* p = buf.data();
  size_t space = buf.size() * sizeof(float);
  return static_cast<PairBlock*>(std::align(kAlign, blocks * sizeof(PairBlock), p, space));
}

// soa[v * 16 + k] = the k-th element of vector v over the 16 rows (one lane per row): one
// 16 x 16 transpose per vector. Shared by the lanes forward and backward.
__attribute__((always_inline)) inline void rows_to_lanes(const float* const* rows, size_t n, PairBlock* soa) {
  for (size_t v = 0; v < n; ++v) {
    PairBlock* r = soa + v * 16;
    for (size_t t = 0; t < 16; ++t) std::memcpy(&r[t], rows[t] + v * 16, sizeof(PairBlock));
    transpose16(r);
  }
}

// Sixteen rows at once at d = 16, one row per vector lane: rows[t] is row t's n vectors
// (rows past the batch point at zeros), outs[t] its output row (null: not written).
// 1) soa[v * 16 + k] = lane vector of v_v[k] over the 16 rows (one 16 x 16 transpose per vector);
// 2) pair (i, j) = Σ_k soa[i][k] * soa[j][k], lane-wise: 16 FMAs give that pair for all 16 rows
//    and no lane is wasted on the triangle's padding (the row-at-a-time form computes ~1.7x the
//    products, each with a broadcast load); four pairs at a time share the loads of v_i;
// 3) pairs[p] (lanes = rows) transposed back 16 pairs at a time into each output row.
// soa: [n * 16] blocks; pairs: [P rounded up to 16] blocks.
__attribute__((target_clones("avx512f", "avx2", "default"))) void pairwise_dots_lanes(
    const float* const* rows, float* const* outs, size_t n, bool self_interaction, PairBlock* __restrict soa,
    PairBlock* __restrict pairs) {
  rows_to_lanes(rows, n, soa);
  size_t p = 0;
  for (size_t i = 0; i < n; ++i) {
    const size_t jend = self_interaction ? i + 1 : i;
    const PairBlock* a = soa + i * 16;
    size_t j = 0;
    // Eight pairs at a time: eight independent FMA chains cover the FMA latency on both ports
    // (four left the units half idle), and v_i's sixteen lane vectors are loaded once per eight.
    for (; j + 8 <= jend; j += 8) {
      const PairBlock* b0 = soa + j * 16;
      PairBlock s[8] = {};
#pragma GCC unroll 16
      for (size_t k = 0; k < 16; ++k) {
#pragma GCC unroll 8
        for (size_t q = 0; q < 8; ++q) s[q] += a[k] * b0[q * 16 + k];
      }
#pragma GCC unroll 8
      for (size_t q = 0; q < 8; ++q) pairs[p++] = s[q];
    }
    for (; j + 4 <= jend; j += 4) {
      const PairBlock* b0 = soa + j * 16;
      PairBlock s0 = {}, s1 = {}, s2 = {}, s3 = {};
#pragma GCC unroll 16
      for (size_t k = 0; k < 16; ++k) {
        s0 += a[k] * b0[k];
        s1 += a[k] * b0[16 + k];
        s2 += a[k] * b0[32 + k];
        s3 += a[k] * b0[48 + k];
      }
      pairs[p++] = s0;
      pairs[p++] = s1;
      pairs[p++] = s2;
      pairs[p++] = s3;
    }
    for (; j < jend; ++j) {
      const PairBlock* b0 = soa + j * 16;
      PairBlock s0 = {};
#pragma GCC unroll 16
      for (size_t k = 0; k < 16; ++k) s0 += a[k] * b0[k];
      pairs[p++] = s0;
    }
  }
  const size_t total = p;
  for (; p % 16; ++p) pairs[p] = PairBlock{};
  // now pairs[p0 + t] = row t's pairs p0 .. p0 + 15
  for (size_t p0 = 0; p0 < total; p0 += 16) transpose16(pairs + p0);
  // Row by row: each output row is written front to back in one pass. Block by block (sixteen
  // rows interleaved, each store a line split in another row) the stores took ~25 % of the
  // function's time; in row order ~12 % (BM_InteractionForward 79 -> 70 us per 256 rows).
  const size_t full = total / 16 * 16, take = total - full;
  for (size_t t = 0; t < 16; ++t) {
    float* o = outs[t];
    if (!o) continue;
    // A fixed-size copy is one vector store; a run-time size became `rep movsq` (~70 % of the
    // function's time), so only the last, partial block copies in fixed-size pieces.
    for (size_t p0 = 0; p0 < full; p0 += 16) std::memcpy(o + p0, &pairs[p0 + t], sizeof(PairBlock));
    if (take) {
      // Read straight from the block: copying it to a local array first made the narrow loads
      // below wait on the wide store (a failed store forwarding, ~13 % of the function's time).
      const float* lane = reinterpret_cast<const float*>(&pairs[full + t]);
      float* tail = o + full;
      size_t q = 0;
      if (take & 8) std::memcpy(tail + q, lane + q, 8 * sizeof(float)), q += 8;
      if (take & 4) std::memcpy(tail + q, lane + q, 4 * sizeof(float)), q += 4;
      if (take & 2) std::memcpy(tail + q, lane + q, 2 * sizeof(float)), q += 2;
      if (take & 1) std::memcpy(tail + q, lane + q, sizeof(float));
    }
  }
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void pairwise_dots(
    const float* __restrict f, float* __restrict transposed, float* __restrict z, size_t n, size_t npad, size_t d,
    bool self_interaction) {
  if (d == kPairPad) {  // DLRM's usual dim: whole 16 x 16 blocks of vectors
    for (size_t jb = 0; jb < n; jb += kPairPad) transpose_block16(f, n, jb, transposed, npad);
  } else {
    for (size_t i = 0; i < n; ++i)
      for (size_t k = 0; k < d; ++k) transposed[k * npad + i] = f[i * d + k];
  }
  for (size_t i = 0; i < n; ++i) {
    const size_t jend = self_interaction ? i + 1 : i;
    // One block of kPairPad pair sums at a time, held in one vector (a zmm register with AVX-512)
    // across the k loop: written with GCC's vector extension because the auto-vectorizer turned
    // the equivalent float[16] loop into 16 scalar chains.
    for (size_t jb = 0; jb < jend; jb += kPairPad) {
      PairBlock block = {};
      for (size_t k = 0; k < d; ++k) {
        PairBlock col;
        std::memcpy(&col, transposed + k * npad + jb, sizeof(col));
        block += f[i * d + k] * col;
      }
      // The whole block is stored: lanes past jend land on the next row's first slots, which
      // that row's first (full) block rewrites, or in the caller's kPairPad floats of slack
      // after the last row (a per-lane copy of the tail cost as much as the dot products).
      std::memcpy(z + jb, &block, sizeof(block));
    }
    z += jend;
  }
}

// One row's backward: dv_i += Σ_j G_ij v_j with G the symmetric pair-gradient matrix (G_ij =
// G_ji = g_ij for j < i; on the diagonal 2 g_ii with self interaction, else 0), added to what df
// holds. g is expanded into `sym` ([n4][n], rows >= n zero; n4 = n rounded up to 4) first, so
// that at d = 16 each group of 4 rows i keeps 4 independent vector sums while one load of v_j
// serves all four (the pair-by-pair form updated dv_i and dv_j through memory: a dependent
// chain per row, ~1.2 us a row at DLRM's shape). Dispatched like pairwise_dots.
__attribute__((target_clones("avx512f", "avx2", "default"))) void pairwise_dots_backward(
    const float* __restrict f, const float* __restrict gz, float* __restrict df, float* __restrict sym, size_t n,
    size_t d, bool self_interaction) {
  const size_t n4 = (n + 3) / 4 * 4;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < i; ++j) {
      const float g = *gz++;
      sym[i * n + j] = g;
      sym[j * n + i] = g;
    }
    sym[i * n + i] = self_interaction ? 2.0f * *gz++ : 0.0f;
  }
  std::fill(sym + n * n, sym + n4 * n, 0.0f);
  if (d == kPairPad) {
    for (size_t i0 = 0; i0 < n4; i0 += 4) {
      const float* g0 = sym + i0 * n;
      const float* g1 = g0 + n;
      const float* g2 = g1 + n;
      const float* g3 = g2 + n;
      PairBlock a0 = {}, a1 = {}, a2 = {}, a3 = {};
      for (size_t j = 0; j < n; ++j) {
        PairBlock v;
        std::memcpy(&v, f + j * kPairPad, sizeof(v));
        a0 += g0[j] * v;
        a1 += g1[j] * v;
        a2 += g2[j] * v;
        a3 += g3[j] * v;
      }
      const PairBlock sums[4] = {a0, a1, a2, a3};
      for (size_t r = 0; r < 4 && i0 + r < n; ++r) {
        PairBlock cur;
        std::memcpy(&cur, df + (i0 + r) * kPairPad, sizeof(cur));
        cur += sums[r];
        std::memcpy(df + (i0 + r) * kPairPad, &cur, sizeof(cur));
      }
    }
    return;
  }
  for (size_t i = 0; i < n; ++i) {
    float* dfi = df + i * d;
    for (size_t j = 0; j < n; ++j) {
      const float g = sym[i * n + j];
      const float* fj = f + j * d;
      for (size_t k = 0; k < d; ++k) dfi[k] += g * fj[k];
    }
  }
}

// The backward of pairwise_dots_lanes, sixteen rows at once at d = 16 (rows past the batch: f
// and g point at zeros, df is null): dv_i += Σ_j G_ij v_j lane-wise, with G the symmetric
// pair-gradient matrix of pairwise_dots_backward. The pair gradients are transposed into lanes
// 16 pairs at a time, the sums for one i are held in 16 vectors (one per k) across j, and the
// result is transposed back and added to each row's df. soa, dsoa: [n * 16] blocks; glanes: [P
// rounded up to 16] blocks.
__attribute__((target_clones("avx512f", "avx2", "default"))) void pairwise_dots_backward_lanes(
    const float* const* rows, const float* const* grads, float* const* dfs, size_t n, size_t p_total,
    bool self_interaction, PairBlock* __restrict soa, PairBlock* __restrict glanes, PairBlock* __restrict dsoa) {
  rows_to_lanes(rows, n, soa);
  for (size_t p0 = 0; p0 < p_total; p0 += 16) {
    PairBlock* r = glanes + p0;
    const size_t take = std::min<size_t>(16, p_total - p0);
    for (size_t t = 0; t < 16; ++t) {
      if (take == 16) {
        std::memcpy(&r[t], grads[t] + p0, sizeof(PairBlock));
      } else {
        float lane[16] = {};
        for (size_t q = 0; q < take; ++q) lane[q] = grads[t][p0 + q];
        std::memcpy(&r[t], lane, sizeof(lane));
      }
    }
    transpose16(r);  // glanes[p0 + q] = pair p0 + q over the 16 rows
  }
  const auto pair = [&](size_t i, size_t j) {  // index of (i, j), j <= i
    return self_interaction ? i * (i + 1) / 2 + j : i * (i - 1) / 2 + j;
  };
  for (size_t i = 0; i < n; ++i) {
    PairBlock acc[16] = {};
    for (size_t j = 0; j < n; ++j) {
      PairBlock g;
      if (j < i) {
        g = glanes[pair(i, j)];
      } else if (j > i) {
        g = glanes[pair(j, i)];
      } else if (self_interaction) {
        g = 2.0f * glanes[pair(i, i)];
      } else {
        continue;
      }
      const PairBlock* vj = soa + j * 16;
#pragma GCC unroll 16
      for (size_t k = 0; k < 16; ++k) acc[k] += g * vj[k];
    }
    PairBlock* out = dsoa + i * 16;
    for (size_t k = 0; k < 16; ++k) out[k] = acc[k];
    transpose16(out);  // out[t] = row t's dv_i
    for (size_t t = 0; t < 16; ++t) {
      if (!dfs[t]) continue;
      PairBlock cur;
      std::memcpy(&cur, dfs[t] + i * 16, sizeof(cur));
      cur += out[t];
      std::memcpy(dfs[t] + i * 16, &cur, sizeof(cur));
    }
  }
}
}  // namespace

void interaction_forward(InteractionKind kind, ConstMatrixView features, size_t n, size_t d, bool self_interaction,
                         MatrixView out) {
  RECO_ASSERT(features.cols == n * d && out.rows == features.rows &&
              out.cols == interaction_output_size(kind, n, d, self_interaction));
  const size_t npad = (n + kPairPad - 1) / kPairPad * kPairPad;
  thread_local std::vector<float> transposed;  // one row's vectors as [d][npad]
  thread_local std::vector<float> pairs;       // one row's pair values + kPairPad slack
  const size_t p = interaction_output_size(kind, n, d, self_interaction) - d;
  size_t first = 0;  // rows before `first` are done by the 16-row form
  if (kind == InteractionKind::kDot && d == kPairPad && features.rows >= 16) {
    // Float buffers aligned by hand (aligned_blocks): std::vector<PairBlock> would align to 16.
    thread_local std::vector<float> soa_buf, lanes_buf, zeros;
    PairBlock* soa = aligned_blocks(soa_buf, n * 16);
    PairBlock* lanes = aligned_blocks(lanes_buf, (p + 15) / 16 * 16);
    zeros.assign(n * d, 0.0f);
    const float* rows[16];
    float* outs[16];
    for (; first < features.rows; first += 16) {
      for (size_t t = 0; t < 16; ++t) {
        const size_t b = first + t;
        rows[t] = b < features.rows ? features.row(b) : zeros.data();
        outs[t] = b < features.rows ? out.row(b) + d : nullptr;
        if (b < features.rows) std::memcpy(out.row(b), features.row(b), d * sizeof(float));
      }
      pairwise_dots_lanes(rows, outs, n, self_interaction, soa, lanes);
    }
  }
  if (kind == InteractionKind::kDot && first < features.rows) {
    transposed.assign(npad * d, 0.0f);  // the padding columns stay zero for every row
    pairs.resize(p + kPairPad);
  }
  for (size_t b = first; b < features.rows; ++b) {
    const float* f = features.row(b);
    float* o = out.row(b);
    if (kind == InteractionKind::kConcat) {
      std::memcpy(o, f, n * d * sizeof(float));
      continue;
    }
    std::memcpy(o, f, d * sizeof(float));
    pairwise_dots(f, transposed.data(), pairs.data(), n, npad, d, self_interaction);
    std::memcpy(o + d, pairs.data(), p * sizeof(float));
  }
}

void interaction_backward(InteractionKind kind, ConstMatrixView features, size_t n, size_t d, bool self_interaction,
                          ConstMatrixView dout, MatrixView dfeatures) {
  RECO_ASSERT(dfeatures.rows == features.rows && dfeatures.cols == n * d && dout.rows == features.rows);
  thread_local std::vector<float> sym;  // one row's symmetric pair gradients, [n rounded up to 4][n]
  if (kind == InteractionKind::kDot) sym.resize((n + 3) / 4 * 4 * n);
  size_t first = 0;  // rows before `first` are done by the 16-row form
  if (kind == InteractionKind::kDot && d == kPairPad && features.rows >= 16) {
    const size_t p = interaction_output_size(kind, n, d, self_interaction) - d;
    thread_local std::vector<float> soa_buf, glanes_buf, dsoa_buf, zeros;
    PairBlock* soa = aligned_blocks(soa_buf, n * 16);
    PairBlock* glanes = aligned_blocks(glanes_buf, (p + 15) / 16 * 16);
    PairBlock* dsoa = aligned_blocks(dsoa_buf, n * 16);
    zeros.assign(std::max(n * d, p), 0.0f);
    const float* rows[16];
    const float* grads[16];
    float* dfs[16];
    for (; first < features.rows; first += 16) {
      for (size_t t = 0; t < 16; ++t) {
        const size_t b = first + t;
        const bool real = b < features.rows;
        rows[t] = real ? features.row(b) : zeros.data();
        grads[t] = real ? dout.row(b) + d : zeros.data();
        dfs[t] = real ? dfeatures.row(b) : nullptr;
        if (real) {
          std::memcpy(dfs[t], dout.row(b), d * sizeof(float));
          std::fill(dfs[t] + d, dfs[t] + n * d, 0.0f);
        }
      }
      pairwise_dots_backward_lanes(rows, grads, dfs, n, p, self_interaction, soa, glanes, dsoa);
    }
  }
  for (size_t b = first; b < features.rows; ++b) {
    const float* f = features.row(b);
    const float* g = dout.row(b);
    float* df = dfeatures.row(b);
    if (kind == InteractionKind::kConcat) {
      std::memcpy(df, g, n * d * sizeof(float));
      continue;
    }
    std::memcpy(df, g, d * sizeof(float));
    std::fill(df + d, df + n * d, 0.0f);
    pairwise_dots_backward(f, g + d, df, sym.data(), n, d, self_interaction);
  }
}

}  // namespace reco::nn
