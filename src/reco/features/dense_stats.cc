#include "reco/features/dense_stats.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "reco/core/error.h"

namespace reco {

namespace {
// JSON keys of the quantiles ("0.01", ...), fixed so files are stable across platforms.
constexpr std::array<const char*, kDenseQuantileLevels.size()> kQuantileKeys = {
    "0.01", "0.05", "0.25", "0.75", "0.95", "0.99"};

double get_number(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) {
    RECO_THROW(ErrorCode::kParse) << "dense stats: missing or non-numeric key '" << key << "'";
  }
  return it->get<double>();
}
}  // namespace

double exact_quantile(std::vector<float>& values, double q) {
  if (values.empty()) return 0.0;
  RECO_CHECK(q >= 0.0 && q <= 1.0) << "quantile level must be in [0,1], got " << q;
  const double h = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(h));
  const double frac = h - static_cast<double>(lo);
  std::nth_element(values.begin(), values.begin() + lo, values.end());
  const double a = values[lo];
  if (frac == 0.0 || lo + 1 >= values.size()) return a;
  // After nth_element everything right of lo is >= values[lo]; the next order statistic
  // is the minimum of that part.
  const double b = *std::min_element(values.begin() + lo + 1, values.end());
  return a + frac * (b - a);
}

DenseStats DenseStats::compute(std::span<const float> values) {
  DenseStats s;
  std::vector<float> present;
  present.reserve(values.size());
  for (float v : values) {
    if (std::isnan(v)) {
      ++s.missing;
    } else {
      present.push_back(v);
    }
  }
  s.count = present.size();
  if (s.count == 0) return s;

  // Two-pass mean/variance in double: exact enough for float inputs at any row count.
  double sum = 0.0;
  double lo = present[0], hi = present[0];
  for (float v : present) {
    sum += v;
    lo = std::min<double>(lo, v);
    hi = std::max<double>(hi, v);
  }
  s.mean = sum / static_cast<double>(s.count);
  double sq = 0.0;
  for (float v : present) sq += (v - s.mean) * (v - s.mean);
  s.std = std::sqrt(sq / static_cast<double>(s.count));
  s.min = lo;
  s.max = hi;
  s.median = exact_quantile(present, 0.5);
  for (size_t i = 0; i < kDenseQuantileLevels.size(); ++i) {
    s.quantiles[i] = exact_quantile(present, kDenseQuantileLevels[i]);
  }
  return s;
}

nlohmann::json DenseStats::to_json() const {
  nlohmann::json q = nlohmann::json::object();
  for (size_t i = 0; i < kQuantileKeys.size(); ++i) q[kQuantileKeys[i]] = quantiles[i];
  return {{"count", count}, {"missing", missing}, {"mean", mean},     {"std", std},
          {"min", min},     {"max", max},         {"median", median}, {"quantiles", q}};
}

DenseStats DenseStats::from_json(const nlohmann::json& j) {
  RECO_CHECK_CODE(j.is_object(), ErrorCode::kParse) << "dense stats must be a JSON object";
  DenseStats s;
  s.count = static_cast<uint64_t>(get_number(j, "count"));
  s.missing = static_cast<uint64_t>(get_number(j, "missing"));
  s.mean = get_number(j, "mean");
  s.std = get_number(j, "std");
  s.min = get_number(j, "min");
  s.max = get_number(j, "max");
  s.median = get_number(j, "median");
  auto it = j.find("quantiles");
  RECO_CHECK_CODE(it != j.end() && it->is_object(), ErrorCode::kParse)
      << "dense stats: missing object 'quantiles'";
  for (size_t i = 0; i < kQuantileKeys.size(); ++i) s.quantiles[i] = get_number(*it, kQuantileKeys[i]);
  return s;
}

}  // namespace reco
