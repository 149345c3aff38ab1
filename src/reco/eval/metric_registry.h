// The explicit table of metric names understood by MetricSet (and so by configs and the
// CLI). One row per metric family; "@K" selects a cut-off for the ranking families.
//
//   auc            RocAuc                       logloss      LogLoss (eps 1e-7)
//   pr_auc         PrAuc (average precision)    brier        Brier
//   accuracy       Accuracy (threshold 0.5)     calibration  CalibrationRatio
//   mse            MeanSquaredError
//   ndcg[@K]       NdcgAtK, exponential gain 2^y - 1 (no @K: whole list)
//   ndcg_linear[@K]  NdcgAtK, linear gain y (scikit-learn's ndcg_score)
//   gauc           Gauc weighted by impressions  gauc_clicks  Gauc weighted by clicks
//   recall@K       RecallAtK                     hit_rate@K   HitRateAtK
// Grouped families (ndcg*, gauc*, recall, hit_rate) need a group id per row.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "reco/eval/gauc.h"
#include "reco/eval/ndcg.h"

namespace reco::eval {

enum class MetricKind { kAuc, kPrAuc, kLogLoss, kBrier, kAccuracy, kCalibration, kMse, kNdcg, kGauc, kRecall, kHitRate };

enum class CutOff { kNone, kOptional, kRequired };

struct MetricFamily {
  std::string_view name;
  MetricKind kind;
  CutOff cut_off;
  std::string_view help;
};

/// A parsed metric name.
struct MetricSpec {
  std::string name;  ///< as given, e.g. "ndcg@10"; the key in reports
  MetricKind kind;
  std::size_t k = kAllPositions;
  Gain gain = Gain::kExponential;
  GaucWeighting weighting = GaucWeighting::kImpressions;
  bool grouped() const;
};

/// Every family, in the order of the table above.
std::span<const MetricFamily> metric_families();

/// "auc, pr_auc, ..., recall@K, hit_rate@K" — for error messages and --help.
std::string valid_metric_names();

/// Parses one name; throws kInvalidArgument (listing the valid names) when unknown or when
/// the "@K" part is missing, unexpected, or not an integer >= 1.
MetricSpec parse_metric(std::string_view name);

}  // namespace reco::eval
