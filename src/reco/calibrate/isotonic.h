// Isotonic regression: the non-decreasing step function closest to the labels in weighted
// squared error, used as a post-hoc calibrator (Zadrozny & Elkan 2002).
//
// Fit (fit_isotonic):
//   1. drop rows with a NaN label or zero weight (they cannot change the solution);
//   2. sort by x and pool ties in x: one point per distinct x with the weighted mean label
//      and the summed weight (so equal scores always map to equal outputs);
//   3. pool adjacent violators (pav_fit): scan left to right keeping a stack of blocks
//      {sum w*y, sum w}; while the previous block's mean exceeds the last one's, merge them.
//      The result minimizes sum_i w_i (f_i - y_i)^2 subject to f_1 <= ... <= f_n; each block's
//      value is the weighted mean of its labels. Adjacent blocks with equal means stay apart.
//   4. breakpoints (x_k, v_k), x strictly increasing, by the interpolation mode:
//      kCentres (default): one per block at its centre, the weighted mean of its x values
//        (weights = summed row weights), value = block value. Between centres the map rises
//        linearly, so distinct scores in different blocks keep distinct outputs (no flat
//        steps that tie whole ranges of a ranking), at the price of not being exactly the
//        least-squares fit inside a block.
//      kEdges: two per block, at its smallest and largest x (one if they coincide). The map
//        equals the PAV solution at every training x and interpolates linearly across the
//        gaps between blocks: scikit-learn's IsotonicRegression(out_of_bounds="clip").
// Predict: linear interpolation between breakpoints, clipped to [v_first, v_last] outside
// [x_first, x_last]. A single breakpoint gives a constant. NaN in, NaN out.
// Inputs: x finite, labels in [0, 1] (soft labels allowed), weights finite >= 0 (empty = 1).
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace reco::calibrate {

enum class IsotonicInterpolation { kCentres, kEdges };

std::string_view isotonic_interpolation_name(IsotonicInterpolation mode);
/// "centres" | "edges"; throws kInvalidArgument otherwise.
IsotonicInterpolation parse_isotonic_interpolation(std::string_view name);

/// The PAV solution for values y already in x order (no ties) with weights w > 0:
/// one fitted value per input. Pure; the core of fit_isotonic.
std::vector<double> pav_fit(std::span<const double> y, std::span<const double> w);

/// The fitted map: breakpoints only. Value type; copyable.
class IsotonicRegression {
 public:
  IsotonicRegression() = default;
  /// Throws kInvalidArgument unless sizes match, x strictly increases, v is non-decreasing
  /// and every value is finite.
  IsotonicRegression(std::vector<double> x, std::vector<double> v, IsotonicInterpolation mode);

  double predict(double x) const;
  bool empty() const { return x_.empty(); }
  const std::vector<double>& x() const { return x_; }
  const std::vector<double>& values() const { return v_; }
  IsotonicInterpolation interpolation() const { return mode_; }

  /// {"interpolation":"centres","x":[...],"y":[...]}
  nlohmann::json to_json() const;
  /// Throws kParse naming the field on malformed JSON (or what the constructor rejects).
  static IsotonicRegression from_json(const nlohmann::json& j);

 private:
  std::vector<double> x_;
  std::vector<double> v_;
  IsotonicInterpolation mode_ = IsotonicInterpolation::kCentres;
};

/// Needs at least one row with a label and positive weight (kInvalidArgument otherwise).
IsotonicRegression fit_isotonic(std::span<const float> x, std::span<const float> labels,
                                std::span<const float> weights,
                                IsotonicInterpolation mode = IsotonicInterpolation::kCentres);

}  // namespace reco::calibrate
