#include "reco/memboost/counters.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "reco/core/error.h"

namespace reco::memboost {

PairCounters::PairCounters(uint32_t n_types) : types(n_types) {
  RECO_CHECK_LE(n_types, kMaxEngagementTypes) << "memboost counts at most " << kMaxEngagementTypes
                                              << " engagement types";
}

void PairCounters::add(const PairCounters& other) {
  RECO_ASSERT(other.types == types) << "adding counters of " << other.types << " types to " << types;
  impressions += other.impressions;
  for (uint32_t t = 0; t < types; ++t) {
    engaged[t] += other.engaged[t];
    expected[t] += other.expected[t];
  }
}

double coec(double engaged, double expected) { return expected > 0 ? engaged / expected : 0.0; }

double smoothed_coec(double engaged, double expected, double smoothing) {
  return (engaged + smoothing) / (expected + smoothing);
}

double weighted_sum(std::span<const double> values, std::span<const double> weights) {
  double s = 0;
  for (size_t t = 0; t < weights.size() && t < values.size(); ++t) s += weights[t] * values[t];
  return s;
}

double memboost_score(double engaged, double expected, double smoothing) {
  RECO_CHECK(smoothing > 0) << "memboost smoothing must be > 0, got " << smoothing;
  return std::log((engaged + smoothing) / (expected + smoothing));
}

double memboost_score(const PairCounters& c, std::span<const double> weights, double smoothing) {
  RECO_CHECK_LE(weights.size(), c.types) << "more type weights than engagement types";
  const std::span<const double> e(c.engaged.data(), c.types), x(c.expected.data(), c.types);
  return memboost_score(weighted_sum(e, weights), weighted_sum(x, weights), smoothing);
}

std::vector<double> parse_type_weights(const std::string& text, const std::vector<std::string>& types) {
  if (text.empty()) return std::vector<double>(types.size(), 1.0);
  std::vector<double> w(types.size(), 0.0);
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string part = text.substr(start, end - start);
    const size_t eq = part.find('=');
    RECO_CHECK_CODE(eq != std::string::npos, ErrorCode::kInvalidArgument)
        << "--weights '" << text << "': expected TYPE=WEIGHT pairs like click=1,save=2, got '" << part << "'";
    const std::string name = part.substr(0, eq), value = part.substr(eq + 1);
    size_t idx = types.size();
    for (size_t t = 0; t < types.size(); ++t)
      if (types[t] == name) idx = t;
    if (idx == types.size()) {
      std::string known;
      for (const auto& t : types) known += (known.empty() ? "" : ",") + t;
      RECO_THROW(ErrorCode::kInvalidArgument) << "--weights: unknown engagement type '" << name
                                              << "' (the log has: " << known << ")";
    }
    double v = 0;
    auto r = std::from_chars(value.data(), value.data() + value.size(), v);
    RECO_CHECK_CODE(r.ec == std::errc() && r.ptr == value.data() + value.size() && std::isfinite(v) && v >= 0,
                    ErrorCode::kInvalidArgument)
        << "--weights: weight of '" << name << "' must be a number >= 0, got '" << value << "'";
    w[idx] = v;
    start = end + 1;
  }
  return w;
}

namespace {
void put_f64(std::string& s, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
}
double get_f64(const char* p) {
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  double v;
  std::memcpy(&v, &bits, 8);
  return v;
}
}  // namespace

std::string pack_counters(const PairCounters& c) {
  std::string s;
  s.reserve(2 + 8 * (1 + 2 * c.types));
  s.push_back(static_cast<char>(kCountersVersion));
  s.push_back(static_cast<char>(c.types));
  put_f64(s, c.impressions);
  for (uint32_t t = 0; t < c.types; ++t) put_f64(s, c.engaged[t]);
  for (uint32_t t = 0; t < c.types; ++t) put_f64(s, c.expected[t]);
  return s;
}

PairCounters unpack_counters(std::string_view b) {
  RECO_CHECK_CODE(b.size() >= 2, ErrorCode::kCorrupt) << "memboost counters: value of " << b.size() << " bytes";
  const auto version = static_cast<uint8_t>(b[0]);
  RECO_CHECK_CODE(version == kCountersVersion, ErrorCode::kVersion)
      << "memboost counters: value version " << int(version) << ", this build reads " << int(kCountersVersion);
  const auto types = static_cast<uint8_t>(b[1]);
  RECO_CHECK_CODE(types <= kMaxEngagementTypes && b.size() == 2 + 8 * (1 + 2 * size_t(types)), ErrorCode::kCorrupt)
      << "memboost counters: " << b.size() << " bytes for " << int(types) << " types";
  PairCounters c(types);
  const char* p = b.data() + 2;
  c.impressions = get_f64(p);
  for (uint32_t t = 0; t < types; ++t) c.engaged[t] = get_f64(p + 8 * (1 + t));
  for (uint32_t t = 0; t < types; ++t) c.expected[t] = get_f64(p + 8 * (1 + types + t));
  return c;
}

}  // namespace reco::memboost
