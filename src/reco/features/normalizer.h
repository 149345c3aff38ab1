// Normalizer: the per-column transform applied to a raw dense value at ingestion and,
// identically, at serving time (its parameters are saved in the dataset/model).
//
//   kind        formula                                        origin
//   none        x
//   zscore      (x - mean) / std     (std == 0 -> divide by 1)
//   log_median  log((1 + x) / (1 + median)), x clamped to >= 0 Airbnb search ranking
//   log1p       log(1 + x), x clamped to >= 0                  DLRM / Criteo
//
// Missing (NaN) input maps to 0.0 for every kind: 0 is the neutral point of each
// transform (the mean for zscore, the median for log_median, "nothing" for log1p/none),
// so a missing value contributes like a typical one. Models that need to tell missing
// from typical get a separate indicator column from the ingester.
// Parameters a kind does not use are kept but ignored.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "reco/features/dense_stats.h"

namespace reco {

enum class NormalizerKind : uint8_t { kNone, kZScore, kLogMedian, kLog1p };

/// "none", "zscore", "log_median", "log1p".
std::string_view normalizer_kind_name(NormalizerKind kind);
/// Inverse of normalizer_kind_name; throws kInvalidArgument listing the valid names.
NormalizerKind parse_normalizer_kind(std::string_view name);

struct Normalizer {
  NormalizerKind kind = NormalizerKind::kNone;
  double mean = 0.0;
  double std = 1.0;
  double median = 0.0;

  /// Takes mean/std/median from `stats` (std == 0 is stored as 1).
  static Normalizer fit(NormalizerKind kind, const DenseStats& stats);

  float apply(float raw) const;
  /// out[i] = apply(raw[i]); sizes must match (out may alias raw).
  void apply(std::span<const float> raw, std::span<float> out) const;

  /// {"kind": "zscore", "mean": m, "std": s, "median": md}
  nlohmann::json to_json() const;
  static Normalizer from_json(const nlohmann::json& j);
};

}  // namespace reco
