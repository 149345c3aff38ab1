// ReliabilityDiagram: predictions grouped into bins, and per bin the mean prediction against
// the observed fraction of positives (a calibrated head lies on the diagonal).
//
// Bins (ReliabilityOptions):
//   kUniform (default): B equal-width bins over [0, 1]; bin k = [k/B, (k+1)/B), the last
//     bin also holds p = 1 (bin = min(floor(p * B), B - 1)).
//   kQuantile: B bins with about equal ROW counts (unweighted): with s the sorted
//     predictions of the labelled rows and n their number, the inner edges are
//     e_k = s[floor(k * n / B)], k = 1..B-1, duplicates removed (heavy ties give fewer
//     bins); a prediction goes to the bin whose [e_k, e_{k+1}) holds it; the outer edges are
//     0 and 1.
// Per bin (over labelled rows): count (rows, zero-weight rows included), weight = sum w,
//   mean_prediction = sum w p / sum w, fraction_positive = sum w y / sum w (both NaN when the
//   bin's weight is 0).
// Summaries over bins with positive weight, W = sum of bin weights:
//   ECE = sum_b (W_b / W) * |mean_prediction_b - fraction_positive_b|   (Guo et al. 2017)
//   MCE = max_b |mean_prediction_b - fraction_positive_b|
//   both NaN when W == 0.
// Inputs: predictions finite in [0, 1]; labels in [0, 1] (soft allowed), NaN = skipped and
// counted in masked(); weights finite >= 0 (empty = all 1). Errors: kInvalidArgument.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace reco::calibrate {

enum class BinScheme { kUniform, kQuantile };

std::string_view bin_scheme_name(BinScheme scheme);
/// "uniform" | "quantile"; throws kInvalidArgument otherwise.
BinScheme parse_bin_scheme(std::string_view name);

struct ReliabilityOptions {
  int bins = 10;  ///< B >= 1
  BinScheme scheme = BinScheme::kUniform;
};

struct ReliabilityBin {
  double lower = 0.0;  ///< inclusive
  double upper = 0.0;  ///< exclusive, except 1 in the last bin
  uint64_t count = 0;
  double weight = 0.0;
  double mean_prediction = 0.0;
  double fraction_positive = 0.0;
};

class ReliabilityDiagram {
 public:
  ReliabilityDiagram() = default;
  static ReliabilityDiagram build(std::span<const float> predictions, std::span<const float> labels,
                                  std::span<const float> weights, const ReliabilityOptions& options = {});

  const std::vector<ReliabilityBin>& bins() const { return bins_; }
  BinScheme scheme() const { return scheme_; }
  uint64_t count() const { return count_; }    ///< labelled rows
  uint64_t masked() const { return masked_; }  ///< rows with a NaN label
  double weight() const { return weight_; }

  double expected_calibration_error() const;
  double max_calibration_error() const;

  /// {"scheme", "count", "masked", "weight", "ece", "mce", "bins":[{"lower","upper","count",
  ///  "weight","mean_prediction","fraction_positive"}]}; NaN values are written as null.
  nlohmann::json to_json() const;

 private:
  std::vector<ReliabilityBin> bins_;
  BinScheme scheme_ = BinScheme::kUniform;
  uint64_t count_ = 0;
  uint64_t masked_ = 0;
  double weight_ = 0.0;
};

/// JSON number, or null for NaN / inf (JSON has no NaN).
nlohmann::json json_number(double v);

}  // namespace reco::calibrate
