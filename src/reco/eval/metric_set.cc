#include "reco/eval/metric_set.h"

#include <cmath>
#include <set>

#include "reco/core/error.h"
#include "reco/eval/checks.h"
#include "reco/eval/hit_rate_at_k.h"
#include "reco/eval/pr_auc.h"
#include "reco/eval/recall_at_k.h"
#include "reco/eval/roc_auc.h"

namespace reco::eval {

MetricSet::MetricSet(const std::vector<std::string>& names) {
  RECO_CHECK(!names.empty()) << "metric set: no metric names given; valid: " << valid_metric_names();
  std::set<std::string> seen;
  for (const auto& name : names) {
    if (!seen.insert(name).second) continue;
    specs_.push_back(parse_metric(name));
    kinds_ |= 1u << static_cast<int>(specs_.back().kind);
    grouped_ = grouped_ || specs_.back().grouped();
  }
}

void MetricSet::add_pointwise(double prediction, double label, double weight) {
  if (wants(MetricKind::kAuc) || wants(MetricKind::kPrAuc)) scored_rows_.add(prediction, label, weight);
  if (wants(MetricKind::kLogLoss)) log_loss_.add(prediction, label, weight);
  if (wants(MetricKind::kBrier)) brier_.add(prediction, label, weight);
  if (wants(MetricKind::kAccuracy)) accuracy_.add(prediction, label, weight);
  if (wants(MetricKind::kCalibration)) calibration_.add(prediction, label, weight);
  if (wants(MetricKind::kMse)) mse_.add(prediction, label, weight);
  ++(is_masked(label) ? masked_ : count_);
}

void MetricSet::add(double prediction, double label, double weight) {
  if (grouped_) {
    RECO_THROW(ErrorCode::kInvalidArgument)
        << "metric set: grouped metrics (ndcg, gauc, recall, hit_rate) need a group id per row: call add_grouped(group, ...)";
  }
  add_pointwise(prediction, label, weight);
}

void MetricSet::add_grouped(uint64_t group, double prediction, double label, double weight) {
  add_pointwise(prediction, label, weight);
  if (grouped_) grouped_rows_.add(group, prediction, label, weight);
}

void MetricSet::merge(const MetricSet& other) {
  RECO_CHECK(specs_.size() == other.specs_.size()) << "metric set: cannot merge sets with different metrics";
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    RECO_CHECK(specs_[i].name == other.specs_[i].name)
        << "metric set: cannot merge sets with different metrics ('" << specs_[i].name << "' vs '"
        << other.specs_[i].name << "')";
  }
  scored_rows_.merge(other.scored_rows_);
  log_loss_.merge(other.log_loss_);
  brier_.merge(other.brier_);
  accuracy_.merge(other.accuracy_);
  calibration_.merge(other.calibration_);
  mse_.merge(other.mse_);
  grouped_rows_.merge(other.grouped_rows_);
  count_ += other.count_;
  masked_ += other.masked_;
}

MetricSet::Evaluated MetricSet::evaluate() const {
  Evaluated out;
  std::vector<ScoredSample> sorted;
  if (wants(MetricKind::kAuc) || wants(MetricKind::kPrAuc)) sorted = scored_rows_.sorted();
  const SortedGroups groups = grouped_ ? grouped_rows_.sorted() : SortedGroups(std::vector<GroupedRow>{});
  for (const auto& spec : specs_) {
    double value = 0.0;
    GroupedResult grouped;
    switch (spec.kind) {
      case MetricKind::kAuc: value = roc_auc(sorted); break;
      case MetricKind::kPrAuc: value = average_precision(sorted); break;
      case MetricKind::kLogLoss: value = log_loss_.value(); break;
      case MetricKind::kBrier: value = brier_.value(); break;
      case MetricKind::kAccuracy: value = accuracy_.value(); break;
      case MetricKind::kCalibration: value = calibration_.value(); break;
      case MetricKind::kMse: value = mse_.value(); break;
      case MetricKind::kNdcg: grouped = evaluate_ndcg(groups, spec.k, spec.gain); break;
      case MetricKind::kGauc: grouped = evaluate_gauc(groups, spec.weighting); break;
      case MetricKind::kRecall: grouped = evaluate_recall(groups, spec.k); break;
      case MetricKind::kHitRate: grouped = evaluate_hit_rate(groups, spec.k); break;
    }
    if (spec.grouped()) {
      value = grouped.value;
      out.groups[spec.name] = grouped;
    }
    out.values[spec.name] = value;
  }
  return out;
}

std::map<std::string, double> MetricSet::values() const { return evaluate().values; }

nlohmann::json MetricSet::to_json() const {
  const Evaluated e = evaluate();
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& [name, value] : e.values) {
    metrics[name] = std::isnan(value) ? nlohmann::json(nullptr) : nlohmann::json(value);
  }
  nlohmann::json out = {{"count", count_}, {"masked", masked_}, {"metrics", metrics}};
  if (!e.groups.empty()) {
    nlohmann::json groups = nlohmann::json::object();
    for (const auto& [name, g] : e.groups) groups[name] = {{"used", g.groups_used}, {"skipped", g.groups_skipped}};
    out["groups"] = groups;
  }
  return out;
}

}  // namespace reco::eval
