#include "reco/features/dense_stats.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

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

namespace {
// Order-preserving map of a non-NaN float to an unsigned key (negative floats flipped).
inline uint32_t sortable_key(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof(u));
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
}  // namespace

void exact_quantiles(std::span<const float> values, std::span<const double> levels, std::span<double> out) {
  RECO_CHECK_EQ(levels.size(), out.size()) << "one output per quantile level";
  const size_t n = values.size();
  if (n == 0) {
    std::fill(out.begin(), out.end(), 0.0);
    return;
  }
  // Ranks needed: floor(h) and floor(h)+1 of every level (linear interpolation).
  std::vector<uint64_t> ranks;
  for (double q : levels) {
    RECO_CHECK(q >= 0.0 && q <= 1.0) << "quantile level must be in [0,1], got " << q;
    const double h = q * static_cast<double>(n - 1);
    const auto lo = static_cast<uint64_t>(std::floor(h));
    ranks.push_back(lo);
    if (lo + 1 < n) ranks.push_back(lo + 1);
  }
  // Radix selection: a histogram of the top 16 key bits locates the bucket of every rank;
  // one more pass gathers only those buckets, and selection runs inside them. Two linear
  // passes instead of one nth_element (several passes each) per rank.
  constexpr size_t kBuckets = 1 << 16;
  std::vector<uint64_t> before(kBuckets + 1, 0);
  for (float v : values) ++before[(sortable_key(v) >> 16) + 1];
  for (size_t b = 0; b < kBuckets; ++b) before[b + 1] += before[b];  // before[b] = count in buckets < b
  std::vector<int32_t> slot(kBuckets, -1);
  std::vector<std::vector<float>> gathered;
  std::vector<uint32_t> rank_bucket(ranks.size());
  for (size_t i = 0; i < ranks.size(); ++i) {
    // First bucket whose cumulative count exceeds the rank.
    const auto it = std::upper_bound(before.begin() + 1, before.end(), ranks[i]);
    const auto b = static_cast<uint32_t>(it - before.begin() - 1);
    rank_bucket[i] = b;
    if (slot[b] < 0) {
      slot[b] = static_cast<int32_t>(gathered.size());
      gathered.emplace_back();
      gathered.back().reserve(before[b + 1] - before[b]);
    }
  }
  for (float v : values) {
    const int32_t s = slot[sortable_key(v) >> 16];
    if (s >= 0) gathered[s].push_back(v);
  }
  std::vector<double> rank_value(ranks.size());
  for (size_t i = 0; i < ranks.size(); ++i) {
    auto& bucket = gathered[slot[rank_bucket[i]]];
    const uint64_t k = ranks[i] - before[rank_bucket[i]];
    std::nth_element(bucket.begin(), bucket.begin() + k, bucket.end());
    rank_value[i] = bucket[k];
  }
  size_t r = 0;
  for (size_t i = 0; i < levels.size(); ++i) {
    const double h = levels[i] * static_cast<double>(n - 1);
    const double frac = h - std::floor(h);
    const double a = rank_value[r++];
    double b = a;
    if (static_cast<uint64_t>(std::floor(h)) + 1 < n) b = rank_value[r++];
    out[i] = frac == 0.0 ? a : a + frac * (b - a);
  }
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
  std::array<double, kDenseQuantileLevels.size() + 1> levels{};
  std::copy(kDenseQuantileLevels.begin(), kDenseQuantileLevels.end(), levels.begin());
  levels.back() = 0.5;
  std::array<double, levels.size()> result{};
  exact_quantiles(present, levels, result);
  for (size_t i = 0; i < kDenseQuantileLevels.size(); ++i) s.quantiles[i] = result[i];
  s.median = result.back();
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
