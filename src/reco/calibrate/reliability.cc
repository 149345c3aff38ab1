#include "reco/calibrate/reliability.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "reco/core/error.h"
#include "reco/eval/checks.h"
#include "reco/eval/compensated_sum.h"

namespace reco::calibrate {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Bin edges: B + 1 non-decreasing values from 0 to 1 (see the header for quantile edges).
std::vector<double> make_edges(std::span<const float> predictions, std::span<const float> labels, int bins,
                               BinScheme scheme) {
  std::vector<double> edges{0.0};
  if (scheme == BinScheme::kUniform) {
    for (int k = 1; k < bins; ++k) edges.push_back(static_cast<double>(k) / bins);
  } else {
    std::vector<float> s;
    for (size_t i = 0; i < predictions.size(); ++i) {
      if (!eval::is_masked(labels[i])) s.push_back(predictions[i]);
    }
    std::sort(s.begin(), s.end());
    const size_t n = s.size();
    for (int k = 1; k < bins && n > 0; ++k) {
      const double e = s[static_cast<size_t>(k) * n / static_cast<size_t>(bins)];
      if (e > edges.back() && e < 1.0) edges.push_back(e);
    }
  }
  edges.push_back(1.0);
  return edges;
}

}  // namespace

std::string_view bin_scheme_name(BinScheme scheme) {
  return scheme == BinScheme::kQuantile ? "quantile" : "uniform";
}

BinScheme parse_bin_scheme(std::string_view name) {
  if (name == "uniform") return BinScheme::kUniform;
  if (name == "quantile") return BinScheme::kQuantile;
  RECO_THROW(ErrorCode::kInvalidArgument) << "reliability bins must be 'uniform' or 'quantile', got '" << name << "'";
}

nlohmann::json json_number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

ReliabilityDiagram ReliabilityDiagram::build(std::span<const float> predictions, std::span<const float> labels,
                                             std::span<const float> weights, const ReliabilityOptions& options) {
  RECO_CHECK(options.bins >= 1) << "reliability diagram: bins must be >= 1, got " << options.bins;
  RECO_CHECK_EQ(predictions.size(), labels.size()) << "reliability diagram: predictions and labels";
  RECO_CHECK(weights.empty() || weights.size() == predictions.size())
      << "reliability diagram: weights must be empty or one per row, got " << weights.size() << " for "
      << predictions.size();
  for (size_t i = 0; i < predictions.size(); ++i) {
    eval::check_unit_interval("reliability", "prediction", predictions[i]);
    if (!eval::is_masked(labels[i])) eval::check_unit_interval("reliability", "label", labels[i]);
    if (!weights.empty()) eval::check_weight("reliability", weights[i]);
  }
  ReliabilityDiagram d;
  d.scheme_ = options.scheme;
  const std::vector<double> edges = make_edges(predictions, labels, options.bins, options.scheme);
  const size_t nb = edges.size() - 1;
  std::vector<eval::CompensatedSum> wp(nb), wy(nb), ws(nb);
  d.bins_.resize(nb);
  for (size_t i = 0; i < predictions.size(); ++i) {
    if (eval::is_masked(labels[i])) {
      ++d.masked_;
      continue;
    }
    const double p = predictions[i];
    const double w = weights.empty() ? 1.0 : weights[i];
    size_t b;
    if (options.scheme == BinScheme::kUniform) {
      b = std::min(static_cast<size_t>(p * options.bins), nb - 1);
    } else {
      // Index of the last edge <= p among edges[0..nb-1].
      b = static_cast<size_t>(std::upper_bound(edges.begin() + 1, edges.end() - 1, p) - edges.begin()) - 1;
    }
    ++d.bins_[b].count;
    ++d.count_;
    ws[b].add(w);
    wp[b].add(w * p);
    wy[b].add(w * labels[i]);
  }
  for (size_t b = 0; b < nb; ++b) {
    ReliabilityBin& bin = d.bins_[b];
    bin.lower = edges[b];
    bin.upper = edges[b + 1];
    bin.weight = ws[b].value();
    bin.mean_prediction = bin.weight > 0.0 ? wp[b].value() / bin.weight : kNaN;
    bin.fraction_positive = bin.weight > 0.0 ? wy[b].value() / bin.weight : kNaN;
    d.weight_ += bin.weight;
  }
  return d;
}

double ReliabilityDiagram::expected_calibration_error() const {
  if (!(weight_ > 0.0)) return kNaN;
  double ece = 0.0;
  for (const auto& b : bins_) {
    if (b.weight > 0.0) ece += b.weight / weight_ * std::abs(b.mean_prediction - b.fraction_positive);
  }
  return ece;
}

double ReliabilityDiagram::max_calibration_error() const {
  if (!(weight_ > 0.0)) return kNaN;
  double mce = 0.0;
  for (const auto& b : bins_) {
    if (b.weight > 0.0) mce = std::max(mce, std::abs(b.mean_prediction - b.fraction_positive));
  }
  return mce;
}

nlohmann::json ReliabilityDiagram::to_json() const {
  nlohmann::json bins = nlohmann::json::array();
  for (const auto& b : bins_) {
    bins.push_back({{"lower", b.lower},
                    {"upper", b.upper},
                    {"count", b.count},
                    {"weight", b.weight},
                    {"mean_prediction", json_number(b.mean_prediction)},
                    {"fraction_positive", json_number(b.fraction_positive)}});
  }
  return {{"scheme", bin_scheme_name(scheme_)},
          {"count", count_},
          {"masked", masked_},
          {"weight", weight_},
          {"ece", json_number(expected_calibration_error())},
          {"mce", json_number(max_calibration_error())},
          {"bins", std::move(bins)}};
}

}  // namespace reco::calibrate
