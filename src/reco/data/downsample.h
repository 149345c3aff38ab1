// Negative downsampling (as in Facebook's "Practical lessons from predicting clicks on
// ads" and Criteo-style pipelines): keep every positive, keep each negative with
// probability alpha. The decision for a row is a pure function of (seed, row index), so
// it does not depend on thread count or chunking.
//
// Calibration: a model trained on the downsampled data predicts q; the probability on
// the original distribution is p = q / (q + (1 - q) / alpha) (calibrate_downsampled).
// The ingester records {alpha, label, kept, seen} in the dataset's extra.downsampling so
// learners and evaluators can apply it.
#pragma once

#include <cstdint>

namespace reco {

/// Throws kInvalidArgument unless alpha is in (0, 1].
void check_downsample_alpha(double alpha);

/// True if the negative at `row_index` is kept: u(seed, row_index) < alpha with u a
/// uniform [0,1) value from a hash. alpha == 1 always keeps. Validates alpha.
bool keep_negative(uint64_t row_index, double alpha, uint64_t seed);

/// p = q / (q + (1 - q) / alpha): undo the bias of negative downsampling at rate alpha.
double calibrate_downsampled(double q, double alpha);

}  // namespace reco
