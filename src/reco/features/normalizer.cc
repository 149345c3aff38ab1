#include "reco/features/normalizer.h"

#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "reco/core/error.h"

namespace reco {

std::string_view normalizer_kind_name(NormalizerKind kind) {
  switch (kind) {
    case NormalizerKind::kNone: return "none";
    case NormalizerKind::kZScore: return "zscore";
    case NormalizerKind::kLogMedian: return "log_median";
    case NormalizerKind::kLog1p: return "log1p";
  }
  return "unknown";
}

NormalizerKind parse_normalizer_kind(std::string_view name) {
  for (auto kind : {NormalizerKind::kNone, NormalizerKind::kZScore, NormalizerKind::kLogMedian,
                    NormalizerKind::kLog1p}) {
    if (normalizer_kind_name(kind) == name) return kind;
  }
  RECO_THROW(ErrorCode::kInvalidArgument)
      << "unknown normalizer '" << name << "' (expected none, zscore, log_median or log1p)";
}

Normalizer Normalizer::fit(NormalizerKind kind, const DenseStats& stats) {
  Normalizer n;
  n.kind = kind;
  n.mean = stats.mean;
  n.std = stats.std > 0.0 && std::isfinite(stats.std) ? stats.std : 1.0;
  n.median = stats.median;
  return n;
}

float Normalizer::apply(float raw) const {
  if (std::isnan(raw)) return 0.0f;
  const double x = raw;
  switch (kind) {
    case NormalizerKind::kNone: return raw;
    case NormalizerKind::kZScore: return static_cast<float>((x - mean) / (std == 0.0 ? 1.0 : std));
    case NormalizerKind::kLogMedian:
      // median >= 0 for the non-negative counts this targets; clamp so the ratio stays > 0.
      return static_cast<float>(std::log1p(std::max(x, 0.0)) - std::log1p(std::max(median, 0.0)));
    case NormalizerKind::kLog1p: return static_cast<float>(std::log1p(std::max(x, 0.0)));
  }
  return raw;
}

void Normalizer::apply(std::span<const float> raw, std::span<float> out) const {
  RECO_CHECK_EQ(raw.size(), out.size()) << "normalizer input and output sizes differ";
  for (size_t i = 0; i < raw.size(); ++i) out[i] = apply(raw[i]);
}

nlohmann::json Normalizer::to_json() const {
  return {{"kind", std::string(normalizer_kind_name(kind))},
          {"mean", mean},
          {"std", std},
          {"median", median}};
}

Normalizer Normalizer::from_json(const nlohmann::json& j) {
  RECO_CHECK_CODE(j.is_object(), ErrorCode::kParse) << "normalizer must be a JSON object";
  Normalizer n;
  auto kind = j.find("kind");
  RECO_CHECK_CODE(kind != j.end() && kind->is_string(), ErrorCode::kParse)
      << "normalizer: missing string key 'kind'";
  n.kind = parse_normalizer_kind(kind->get<std::string>());
  for (auto [key, field] : {std::pair{"mean", &n.mean}, std::pair{"std", &n.std},
                            std::pair{"median", &n.median}}) {
    auto it = j.find(key);
    if (it == j.end()) continue;  // parameters a kind does not use may be omitted
    RECO_CHECK_CODE(it->is_number(), ErrorCode::kParse) << "normalizer: '" << key << "' must be a number";
    *field = it->get<double>();
  }
  return n;
}

}  // namespace reco
