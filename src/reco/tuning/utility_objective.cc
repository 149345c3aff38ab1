#include "reco/tuning/utility_objective.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "reco/core/error.h"
#include "reco/eval/metric_set.h"

namespace reco::tuning {

namespace {
std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t");
  const size_t b = s.find_last_not_of(" \t");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}
}  // namespace

UtilityMetric parse_utility_metric(const std::string& text, const std::vector<std::string>& heads) {
  const size_t colon = text.rfind(':');
  RECO_CHECK(colon != std::string::npos && colon > 0 && colon + 1 < text.size())
      << "metric '" << text << "': expected metric:head (e.g. pr_auc:long_click); heads: " << join(heads);
  UtilityMetric m;
  m.text = text;
  m.metric = trim(text.substr(0, colon));
  const std::string head = trim(text.substr(colon + 1));
  const eval::MetricSpec spec = eval::parse_metric(m.metric);
  using K = eval::MetricKind;
  RECO_CHECK(spec.kind == K::kAuc || spec.kind == K::kPrAuc || spec.kind == K::kGauc || spec.kind == K::kNdcg ||
             spec.kind == K::kRecall || spec.kind == K::kHitRate)
      << "metric '" << text << "': '" << m.metric
      << "' does not measure a ranking; use auc, pr_auc, gauc, gauc_clicks, ndcg[@K], ndcg_linear[@K], recall@K or "
         "hit_rate@K";
  const auto it = std::find(heads.begin(), heads.end(), head);
  RECO_CHECK(it != heads.end()) << "metric '" << text << "': no head '" << head << "'; heads: " << join(heads);
  m.head = static_cast<size_t>(it - heads.begin());
  return m;
}

UtilityConstraint parse_utility_constraint(const std::string& text, const std::vector<std::string>& heads) {
  const size_t ge = text.find(">=");
  RECO_CHECK(ge != std::string::npos)
      << "constraint '" << text << "': expected metric:head>=C*baseline, >=baseline or >=NUMBER";
  UtilityConstraint c;
  c.text = text;
  c.metric = parse_utility_metric(trim(text.substr(0, ge)), heads);
  std::string rhs = trim(text.substr(ge + 2));
  auto number = [&](const std::string& s) {
    size_t used = 0;
    double v = NAN;
    try {
      v = std::stod(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    RECO_CHECK(used == s.size() && std::isfinite(v))
        << "constraint '" << text << "': '" << s << "' is not a number (expected C*baseline, baseline or NUMBER)";
    return v;
  };
  const std::string kBase = "baseline";
  if (rhs == kBase) {
    c.factor = 1.0;
  } else if (rhs.size() > kBase.size() && rhs.compare(rhs.size() - kBase.size(), kBase.size(), kBase) == 0) {
    std::string f = trim(rhs.substr(0, rhs.size() - kBase.size()));
    RECO_CHECK(!f.empty() && f.back() == '*') << "constraint '" << text << "': expected C*baseline";
    f.pop_back();
    c.factor = number(trim(f));
  } else {
    c.absolute = number(rhs);
  }
  return c;
}

double evaluate_utility_metric(const UtilityData& data, const UtilityMetric& metric, const std::vector<double>& w) {
  const size_t nt = data.heads.size();
  RECO_CHECK(w.size() == nt) << "utility weights: " << w.size() << " values for " << nt << " heads";
  eval::MetricSet set({metric.metric});
  const auto& labels = data.labels[metric.head];
  for (size_t i = 0; i < data.rows(); ++i) {
    double u = 0.0;
    for (size_t t = 0; t < nt; ++t) u += w[t] * data.predictions[i * nt + t];
    set.add_grouped(data.groups[i], u, labels[i], data.sample_weights.empty() ? 1.0 : data.sample_weights[i]);
  }
  return set.values().begin()->second;
}

std::vector<double> normalize_weights(const std::vector<double>& w, double total) {
  const double s = std::accumulate(w.begin(), w.end(), 0.0);
  std::vector<double> out(w.size(), w.empty() ? 0.0 : total / w.size());
  if (s > 0)
    for (size_t i = 0; i < w.size(); ++i) out[i] = w[i] * total / s;
  return out;
}

}  // namespace reco::tuning
