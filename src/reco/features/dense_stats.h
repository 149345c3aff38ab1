// DenseStats: summary statistics of one numeric column, NaN = missing.
//
// Computed once at ingestion; stored in the dataset's column details (JSON) and used to
// fit normalizers and to describe the data in `reco inspect`.
// Quantiles are exact: order statistics of the non-missing values are found by radix
// selection (exact_quantiles below); quantile q is the linear interpolation between the order statistics at
// floor(h) and ceil(h) with h = q * (count - 1) (the "linear" / type-7 definition that
// numpy and R use by default). The median is the 0.5 quantile under the same rule.
// std is the population standard deviation (divide by count). With count == 0 every
// statistic is 0. Infinite values count as present and propagate into mean/std.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include <nlohmann/json_fwd.hpp>

namespace reco {

/// Quantile levels reported in DenseStats::quantiles, in this order.
inline constexpr std::array<double, 6> kDenseQuantileLevels = {0.01, 0.05, 0.25, 0.75, 0.95, 0.99};

struct DenseStats {
  uint64_t count = 0;    ///< non-missing values
  uint64_t missing = 0;  ///< NaN values
  double mean = 0.0;
  double std = 0.0;  ///< population standard deviation
  double min = 0.0;
  double max = 0.0;
  double median = 0.0;
  std::array<double, kDenseQuantileLevels.size()> quantiles{};  ///< at kDenseQuantileLevels

  static DenseStats compute(std::span<const float> values);

  /// {"count","missing","mean","std","min","max","median","quantiles":{"0.01":v,...}}
  nlohmann::json to_json() const;
  /// Inverse of to_json; throws kParse naming the missing/mistyped key.
  static DenseStats from_json(const nlohmann::json& j);
};

/// Exact quantiles of `values` at several levels in [0,1] (NaNs must already be removed;
/// linear interpolation as documented above), without reordering `values`: radix selection over the floats' order-preserving bit patterns
/// (two linear passes). out[i] is the quantile at levels[i]; empty input gives 0.
void exact_quantiles(std::span<const float> values, std::span<const double> levels, std::span<double> out);

}  // namespace reco
