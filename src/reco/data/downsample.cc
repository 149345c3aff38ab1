#include "reco/data/downsample.h"

#include "reco/core/error.h"
#include "reco/features/hashing.h"

namespace reco {

void check_downsample_alpha(double alpha) {
  RECO_CHECK(alpha > 0.0 && alpha <= 1.0) << "negative downsampling rate must be in (0, 1], got " << alpha;
}

bool keep_negative(uint64_t row_index, double alpha, uint64_t seed) {
  check_downsample_alpha(alpha);
  if (alpha >= 1.0) return true;
  // Top 53 bits of the hash as a uniform [0,1) double.
  const double u = static_cast<double>(hash_u64(row_index, seed) >> 11) * 0x1.0p-53;
  return u < alpha;
}

double calibrate_downsampled(double q, double alpha) {
  check_downsample_alpha(alpha);
  return q / (q + (1.0 - q) / alpha);
}

}  // namespace reco
