// Input checks shared by every accumulator's add(). Each is one branch on the happy path;
// the message (built only on failure) names the accumulator and the offending value.
//
// Conventions (the same for every accumulator in reco::eval):
//   - a NaN label means "masked": the row is not counted, only tallied in masked();
//   - the prediction/score must be finite (NaN or +-inf is a bug upstream, not data);
//   - the sample weight must be finite and >= 0 (a zero weight row is counted but
//     contributes nothing).
#pragma once

#include <cmath>

namespace reco::eval {

/// True when the label is NaN, i.e. the row is masked out of every metric.
inline bool is_masked(double label) { return std::isnan(label); }

/// Throws kInvalidArgument unless `score` is finite.
void check_score(const char* metric, double score);
/// Throws kInvalidArgument unless `weight` is finite and >= 0.
void check_weight(const char* metric, double weight);
/// Throws kInvalidArgument unless `label` is exactly 0 or 1.
void check_binary_label(const char* metric, double label);
/// Throws kInvalidArgument unless `value` lies in [0, 1] (what = "prediction" or "label").
void check_unit_interval(const char* metric, const char* what, double value);
/// Throws kInvalidArgument unless `label` is finite.
void check_finite_label(const char* metric, double label);

}  // namespace reco::eval
