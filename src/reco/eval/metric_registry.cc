#include "reco/eval/metric_registry.h"

#include <array>
#include <charconv>

#include "reco/core/error.h"

namespace reco::eval {
namespace {

constexpr std::array kFamilies = {
    MetricFamily{"auc", MetricKind::kAuc, CutOff::kNone, "exact ROC-AUC, ties half credit"},
    MetricFamily{"pr_auc", MetricKind::kPrAuc, CutOff::kNone, "average precision (scikit-learn definition)"},
    MetricFamily{"logloss", MetricKind::kLogLoss, CutOff::kNone, "binary cross-entropy, predictions clipped to 1e-7"},
    MetricFamily{"brier", MetricKind::kBrier, CutOff::kNone, "mean squared error of probabilities"},
    MetricFamily{"accuracy", MetricKind::kAccuracy, CutOff::kNone, "fraction correct at threshold 0.5"},
    MetricFamily{"calibration", MetricKind::kCalibration, CutOff::kNone, "sum w p / sum w y"},
    MetricFamily{"mse", MetricKind::kMse, CutOff::kNone, "mean squared error (regression)"},
    MetricFamily{"ndcg", MetricKind::kNdcg, CutOff::kOptional, "per-group NDCG, gain 2^y - 1"},
    MetricFamily{"ndcg_linear", MetricKind::kNdcg, CutOff::kOptional, "per-group NDCG, gain y"},
    MetricFamily{"gauc", MetricKind::kGauc, CutOff::kNone, "per-group AUC weighted by impressions"},
    MetricFamily{"gauc_clicks", MetricKind::kGauc, CutOff::kNone, "per-group AUC weighted by clicks"},
    MetricFamily{"recall", MetricKind::kRecall, CutOff::kRequired, "per-group recall in the top K"},
    MetricFamily{"hit_rate", MetricKind::kHitRate, CutOff::kRequired, "per-group hit rate in the top K"},
};

}  // namespace

bool MetricSpec::grouped() const {
  return kind == MetricKind::kNdcg || kind == MetricKind::kGauc || kind == MetricKind::kRecall ||
         kind == MetricKind::kHitRate;
}

std::span<const MetricFamily> metric_families() { return kFamilies; }

std::string valid_metric_names() {
  std::string out;
  for (const auto& f : kFamilies) {
    if (!out.empty()) out += ", ";
    out += f.name;
    if (f.cut_off == CutOff::kOptional) out += "[@K]";
    if (f.cut_off == CutOff::kRequired) out += "@K";
  }
  return out;
}

MetricSpec parse_metric(std::string_view name) {
  const auto at = name.find('@');
  const std::string_view base = name.substr(0, at);
  const MetricFamily* family = nullptr;
  for (const auto& f : kFamilies) {
    if (f.name == base) family = &f;
  }
  if (family == nullptr) {
    RECO_THROW(ErrorCode::kInvalidArgument) << "unknown metric '" << name << "'; valid: " << valid_metric_names();
  }
  MetricSpec spec{std::string(name), family->kind};
  if (at == std::string_view::npos) {
    if (family->cut_off == CutOff::kRequired) {
      RECO_THROW(ErrorCode::kInvalidArgument) << "metric '" << name << "' needs a cut-off, e.g. '" << base
                                              << "@10'; valid: " << valid_metric_names();
    }
  } else {
    if (family->cut_off == CutOff::kNone) {
      RECO_THROW(ErrorCode::kInvalidArgument) << "metric '" << base << "' takes no '@K' cut-off (got '" << name
                                              << "'); valid: " << valid_metric_names();
    }
    const std::string_view digits = name.substr(at + 1);
    std::size_t k = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), k);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || k < 1) {
      RECO_THROW(ErrorCode::kInvalidArgument) << "metric '" << name << "': cut-off after '@' must be an integer >= 1";
    }
    spec.k = k;
  }
  if (base == "ndcg_linear") spec.gain = Gain::kLinear;
  if (base == "gauc_clicks") spec.weighting = GaucWeighting::kClicks;
  return spec;
}

}  // namespace reco::eval
