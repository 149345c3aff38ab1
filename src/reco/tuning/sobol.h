// Sobol low-discrepancy sequence in up to kMaxDims dimensions (the initial design of the
// Bayesian optimizer and the start points of its acquisition search).
//
// Direction numbers: the primitive polynomials and initial m_k of Joe & Kuo (2008, the
// "new-joe-kuo-6" set) for dimensions 2..kMaxDims; dimension 1 is van der Corput. Points are
// produced in Gray-code order with 32-bit integers, so point n (n < 2^32) costs one XOR per
// dimension. Unscrambled, point 0 is the origin and the first 2^k points of every dimension
// put exactly one point in each interval [i/2^k, (i+1)/2^k).
//
// Randomization: a digital shift (one random 32-bit XOR mask per dimension drawn from the
// seed) keeps the (t, s)-net property while making the design differ between seeds; seed 0
// means no shift (the textbook sequence, used by the tests against known values).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace reco::tuning {

class Sobol {
 public:
  static constexpr size_t kMaxDims = 21;

  /// Throws kInvalidArgument when dims is 0 or above kMaxDims.
  Sobol(size_t dims, uint64_t seed = 0);

  size_t dims() const { return dims_; }
  /// Writes the next point (dims values in [0, 1)) into `out` and advances.
  void next(double* out);
  std::vector<double> next();
  /// Skips n points (e.g. the origin of an unshifted sequence).
  void skip(size_t n);

 private:
  size_t dims_;
  uint64_t index_ = 0;
  std::vector<uint32_t> directions_;  // [dims x 32]: V_{j,k}, k = 1..32 (bit k from the top)
  std::vector<uint32_t> state_;       // current integer point, per dimension
  std::vector<uint32_t> shift_;       // digital-shift XOR mask, per dimension
};

}  // namespace reco::tuning
