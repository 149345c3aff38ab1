#include "reco/models/head_scoring.h"

#include <charconv>
#include <cmath>

#include "reco/core/error.h"

namespace reco::models {

HeadScoring HeadScoring::identity(const FeatureMap& features) {
  HeadScoring s;
  s.heads = features.task_names();
  s.calibrators.assign(s.heads.size(), calibrate::Calibrator{});
  s.weights.assign(s.heads.size(), 1.0);
  return s;
}

nlohmann::json HeadScoring::to_json() const {
  nlohmann::json heads_json = nlohmann::json::array();
  for (size_t t = 0; t < heads.size(); ++t)
    heads_json.push_back({{"name", heads[t]}, {"weight", weights[t]}, {"calibrator", calibrators[t].to_json()}});
  return {{"heads", heads_json}};
}

HeadScoring HeadScoring::from_json(const nlohmann::json& j, const FeatureMap& features) {
  HeadScoring s;
  const auto names = features.task_names();
  try {
    for (const auto& h : j.at("heads")) {
      s.heads.push_back(h.at("name").get<std::string>());
      s.weights.push_back(h.at("weight").get<double>());
      s.calibrators.push_back(calibrate::Calibrator::from_json(h.at("calibrator")));
    }
  } catch (const nlohmann::json::exception& e) {
    RECO_THROW(ErrorCode::kCorrupt) << "model scoring: " << e.what();
  }
  RECO_CHECK_CODE(s.heads == names, ErrorCode::kCorrupt)
      << "model scoring: heads do not match the model's tasks (" << s.heads.size() << " vs " << names.size() << ")";
  return s;
}

void HeadScoring::calibrate(std::span<float> predictions) const {
  const size_t nt = heads.size();
  RECO_ASSERT(nt > 0 && predictions.size() % nt == 0);
  for (size_t i = 0; i < predictions.size(); ++i) predictions[i] = calibrators[i % nt].apply(predictions[i]);
}

double HeadScoring::utility(const float* row, std::span<const double> weights) {
  double u = 0.0;
  for (size_t t = 0; t < weights.size(); ++t) u += weights[t] * row[t];
  return u;
}

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

double parse_number(std::string_view text, std::string_view what) {
  text = trim(text);
  double v = 0.0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  RECO_CHECK(ec == std::errc() && end == text.data() + text.size() && std::isfinite(v))
      << "utility weights: '" << text << "' (" << what << ") is not a number";
  return v;
}
}  // namespace

std::vector<double> HeadScoring::parse_weights(std::string_view text) const {
  std::string list;
  for (const auto& h : heads) list += (list.empty() ? "" : ", ") + h;
  std::vector<std::string_view> items;
  for (size_t start = 0; start <= text.size();) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    items.push_back(trim(text.substr(start, comma - start)));
    start = comma + 1;
  }
  const bool named = text.find('=') != std::string_view::npos;
  std::vector<double> w(heads.size(), named ? 0.0 : 1.0);
  if (!named) {
    RECO_CHECK(items.size() == heads.size()) << "utility weights '" << text << "': " << items.size()
                                             << " numbers for " << heads.size() << " heads (" << list << ")";
    for (size_t t = 0; t < items.size(); ++t) w[t] = parse_number(items[t], heads[t]);
    return w;
  }
  for (std::string_view item : items) {
    const size_t eq = item.find('=');
    RECO_CHECK(eq != std::string_view::npos) << "utility weights: '" << item << "' is not head=weight";
    const std::string_view name = trim(item.substr(0, eq));
    size_t t = 0;
    while (t < heads.size() && heads[t] != name) ++t;
    RECO_CHECK(t < heads.size()) << "utility weights: unknown head '" << name << "' (heads: " << list << ")";
    w[t] = parse_number(item.substr(eq + 1), heads[t]);
  }
  return w;
}

}  // namespace reco::models
