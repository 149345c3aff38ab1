// Rng — the project's pseudo-random generator: xoshiro256** (Blackman & Vigna) seeded
// through SplitMix64. Small state (32 bytes), fast, good quality, and identical on every
// platform, so a seed reproduces a run bit for bit. Not thread-safe: one Rng per thread,
// each seeded with derive_seed(root, stream) (reco/core/context.h).
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

namespace reco {

/// SplitMix64 finalizer: a cheap, well-mixed hash of one 64-bit word.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) {
    for (auto& w : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      w = mix64(seed);
    }
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform double in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform float in [0, 1) (24 random bits).
  float uniform_float() { return static_cast<float>(next() >> 40) * 0x1.0p-24f; }
  /// Uniform integer in [0, n), n >= 1 (Lemire's multiply-shift; bias < n / 2^64).
  uint64_t below(uint64_t n) {
    __extension__ typedef unsigned __int128 Uint128;
    return static_cast<uint64_t>((static_cast<Uint128>(next()) * n) >> 64);
  }
  /// Standard normal (Box-Muller; the second value is kept for the next call).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform();  // (0,1]: log is finite
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2.0 * std::numbers::pi * u2);
    has_spare_ = true;
    return r * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace reco
