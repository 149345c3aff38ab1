#include "reco/tuning/sobol.h"

#include <bit>

#include "reco/core/error.h"
#include "reco/core/rng.h"

namespace reco::tuning {

namespace {
// One row of the Joe-Kuo table: degree s of the primitive polynomial, its inner
// coefficients a (bits a_1..a_{s-1}), and the initial odd m_1..m_s.
struct DirectionRow {
  int s;
  uint32_t a;
  uint32_t m[8];
};

// Dimensions 2..21 (dimension 1 uses m_k = 1 for every k).
constexpr DirectionRow kRows[] = {
    {1, 0, {1}},
    {2, 1, {1, 3}},
    {3, 1, {1, 3, 1}},
    {3, 2, {1, 1, 1}},
    {4, 1, {1, 1, 3, 3}},
    {4, 4, {1, 3, 5, 13}},
    {5, 2, {1, 1, 5, 5, 17}},
    {5, 4, {1, 1, 5, 5, 5}},
    {5, 7, {1, 1, 7, 11, 19}},
    {5, 11, {1, 1, 5, 1, 1}},
    {5, 13, {1, 1, 1, 3, 11}},
    {5, 14, {1, 3, 5, 5, 31}},
    {6, 1, {1, 3, 3, 9, 7, 49}},
    {6, 13, {1, 1, 1, 15, 21, 21}},
    {6, 16, {1, 3, 1, 13, 27, 49}},
    {6, 19, {1, 1, 1, 15, 7, 5}},
    {6, 22, {1, 3, 1, 15, 13, 25}},
    {6, 25, {1, 1, 5, 5, 19, 61}},
    {7, 1, {1, 3, 7, 11, 23, 15, 103}},
    {7, 4, {1, 3, 7, 13, 13, 15, 69}},
};
static_assert(sizeof(kRows) / sizeof(kRows[0]) == Sobol::kMaxDims - 1);

constexpr int kBits = 32;
}  // namespace

Sobol::Sobol(size_t dims, uint64_t seed) : dims_(dims) {
  RECO_CHECK(dims >= 1 && dims <= kMaxDims)
      << "Sobol: dimensions must be in [1, " << kMaxDims << "], got " << dims;
  directions_.assign(dims * kBits, 0);
  for (int k = 1; k <= kBits; ++k) directions_[k - 1] = uint32_t{1} << (kBits - k);
  for (size_t j = 1; j < dims; ++j) {
    const DirectionRow& row = kRows[j - 1];
    uint32_t* v = &directions_[j * kBits];  // v[k-1] = V_k
    for (int k = 1; k <= row.s && k <= kBits; ++k) v[k - 1] = row.m[k - 1] << (kBits - k);
    for (int k = row.s + 1; k <= kBits; ++k) {
      uint32_t value = v[k - row.s - 1] ^ (v[k - row.s - 1] >> row.s);
      for (int i = 1; i < row.s; ++i)
        if ((row.a >> (row.s - 1 - i)) & 1u) value ^= v[k - i - 1];
      v[k - 1] = value;
    }
  }
  state_.assign(dims, 0);
  shift_.assign(dims, 0);
  if (seed != 0) {
    Rng rng(seed);
    for (auto& s : shift_) s = static_cast<uint32_t>(rng.next() >> 32);
  }
}

void Sobol::next(double* out) {
  constexpr double kScale = 1.0 / 4294967296.0;  // 2^-32
  for (size_t j = 0; j < dims_; ++j) out[j] = static_cast<double>(state_[j] ^ shift_[j]) * kScale;
  // Gray-code step: flip the direction of the lowest zero bit of the index.
  const int c = std::countr_one(index_);
  RECO_CHECK_CODE(c < kBits, ErrorCode::kResourceExhausted) << "Sobol: more than 2^32 points requested";
  for (size_t j = 0; j < dims_; ++j) state_[j] ^= directions_[j * kBits + c];
  ++index_;
}

std::vector<double> Sobol::next() {
  std::vector<double> out(dims_);
  next(out.data());
  return out;
}

void Sobol::skip(size_t n) {
  std::vector<double> scratch(dims_);
  for (size_t i = 0; i < n; ++i) next(scratch.data());
}

}  // namespace reco::tuning
