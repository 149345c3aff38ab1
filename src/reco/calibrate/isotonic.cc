#include "reco/calibrate/isotonic.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "reco/core/error.h"
#include "reco/eval/checks.h"

namespace reco::calibrate {
namespace {

// A run of consecutive points sharing one fitted value.
struct Block {
  double wy = 0.0;  // sum w * y
  double w = 0.0;   // sum w
  double wx = 0.0;  // sum w * x (block centre); unused by pav_fit
  double x_first = 0.0, x_last = 0.0;
  size_t n = 0;  // points pooled
  double mean() const { return wy / w; }
  void absorb(const Block& o) {
    wy += o.wy;
    w += o.w;
    wx += o.wx;
    x_last = o.x_last;
    n += o.n;
  }
};

// Stack-based PAV over blocks already in x order; returns the final blocks.
std::vector<Block> pool(std::vector<Block> points) {
  std::vector<Block> stack;
  stack.reserve(points.size());
  for (const Block& p : points) {
    stack.push_back(p);
    while (stack.size() > 1 && stack[stack.size() - 2].mean() > stack.back().mean()) {
      const Block last = stack.back();
      stack.pop_back();
      stack.back().absorb(last);
    }
  }
  return stack;
}

}  // namespace

std::string_view isotonic_interpolation_name(IsotonicInterpolation mode) {
  return mode == IsotonicInterpolation::kEdges ? "edges" : "centres";
}

IsotonicInterpolation parse_isotonic_interpolation(std::string_view name) {
  if (name == "centres") return IsotonicInterpolation::kCentres;
  if (name == "edges") return IsotonicInterpolation::kEdges;
  RECO_THROW(ErrorCode::kInvalidArgument) << "isotonic interpolation must be 'centres' or 'edges', got '" << name
                                          << "'";
}

std::vector<double> pav_fit(std::span<const double> y, std::span<const double> w) {
  RECO_CHECK_EQ(y.size(), w.size()) << "pav_fit: values and weights";
  std::vector<Block> points(y.size());
  for (size_t i = 0; i < y.size(); ++i) {
    RECO_CHECK(w[i] > 0.0 && std::isfinite(w[i])) << "pav_fit: weight " << i << " must be finite and > 0, got " << w[i];
    RECO_CHECK(std::isfinite(y[i])) << "pav_fit: value " << i << " must be finite";
    points[i] = Block{w[i] * y[i], w[i], 0.0, 0.0, 0.0, 1};
  }
  std::vector<double> out;
  out.reserve(y.size());
  for (const Block& b : pool(std::move(points))) out.insert(out.end(), b.n, b.mean());
  return out;
}

IsotonicRegression::IsotonicRegression(std::vector<double> x, std::vector<double> v, IsotonicInterpolation mode)
    : x_(std::move(x)), v_(std::move(v)), mode_(mode) {
  RECO_CHECK_EQ(x_.size(), v_.size()) << "isotonic breakpoints: x and values";
  for (size_t i = 0; i < x_.size(); ++i) {
    RECO_CHECK(std::isfinite(x_[i]) && std::isfinite(v_[i])) << "isotonic breakpoint " << i << " is not finite";
    if (i > 0) {
      RECO_CHECK(x_[i] > x_[i - 1]) << "isotonic breakpoints: x must strictly increase at " << i;
      RECO_CHECK(v_[i] >= v_[i - 1]) << "isotonic breakpoints: values must not decrease at " << i;
    }
  }
}

double IsotonicRegression::predict(double x) const {
  RECO_CHECK(!x_.empty()) << "isotonic regression used before it was fitted";
  if (std::isnan(x)) return x;  // a NaN score is a bug upstream: keep it visible
  if (x <= x_.front()) return v_.front();
  if (x >= x_.back()) return v_.back();
  const size_t hi = static_cast<size_t>(std::upper_bound(x_.begin(), x_.end(), x) - x_.begin());
  const size_t lo = hi - 1;
  const double t = (x - x_[lo]) / (x_[hi] - x_[lo]);
  return v_[lo] + t * (v_[hi] - v_[lo]);
}

nlohmann::json IsotonicRegression::to_json() const {
  return {{"interpolation", isotonic_interpolation_name(mode_)}, {"x", x_}, {"y", v_}};
}

IsotonicRegression IsotonicRegression::from_json(const nlohmann::json& j) {
  RECO_CHECK_CODE(j.is_object(), ErrorCode::kParse) << "isotonic calibrator must be a JSON object";
  auto numbers = [&](const char* key) {
    const auto it = j.find(key);
    RECO_CHECK_CODE(it != j.end() && it->is_array(), ErrorCode::kParse)
        << "isotonic calibrator: field '" << key << "' must be an array of numbers";
    std::vector<double> out;
    for (const auto& e : *it) {
      RECO_CHECK_CODE(e.is_number(), ErrorCode::kParse)
          << "isotonic calibrator: field '" << key << "' holds a non-number " << e.dump();
      out.push_back(e.get<double>());
    }
    return out;
  };
  const std::string mode = j.value("interpolation", std::string("centres"));
  try {
    return IsotonicRegression(numbers("x"), numbers("y"), parse_isotonic_interpolation(mode));
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kParse) throw;
    RECO_THROW(ErrorCode::kParse) << "isotonic calibrator: " << e.message();
  }
}

IsotonicRegression fit_isotonic(std::span<const float> x, std::span<const float> labels,
                                std::span<const float> weights, IsotonicInterpolation mode) {
  RECO_CHECK_EQ(x.size(), labels.size()) << "fit_isotonic: scores and labels";
  RECO_CHECK(weights.empty() || weights.size() == x.size())
      << "fit_isotonic: weights must be empty or one per row, got " << weights.size() << " for " << x.size();
  std::vector<size_t> order;
  order.reserve(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    if (eval::is_masked(labels[i])) continue;
    eval::check_score("isotonic", x[i]);
    eval::check_unit_interval("isotonic", "label", labels[i]);
    const double wi = weights.empty() ? 1.0 : weights[i];
    eval::check_weight("isotonic", wi);
    if (wi > 0.0) order.push_back(i);
  }
  RECO_CHECK(!order.empty()) << "fit_isotonic: no row with a label and a positive weight among " << x.size();
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });

  // Ties in x become one point each.
  std::vector<Block> points;
  for (size_t i : order) {
    const double xi = x[i], wi = weights.empty() ? 1.0 : weights[i];
    if (points.empty() || points.back().x_first != xi) points.push_back(Block{0.0, 0.0, 0.0, xi, xi, 1});
    Block& p = points.back();
    p.wy += wi * labels[i];
    p.w += wi;
    p.wx += wi * xi;
  }
  const std::vector<Block> blocks = pool(std::move(points));

  std::vector<double> bx, bv;
  for (const Block& b : blocks) {
    if (mode == IsotonicInterpolation::kEdges) {
      bx.push_back(b.x_first);
      bv.push_back(b.mean());
      if (b.x_last > b.x_first) {
        bx.push_back(b.x_last);
        bv.push_back(b.mean());
      }
    } else {
      // The centre lies in [x_first, x_last]; clamp against rounding so centres stay ordered.
      double c = std::clamp(b.wx / b.w, b.x_first, b.x_last);
      if (!bx.empty() && !(c > bx.back())) c = b.x_first;  // only possible through rounding
      bx.push_back(c);
      bv.push_back(b.mean());
    }
  }
  // Means of merged blocks are non-decreasing up to rounding; enforce it exactly.
  for (size_t i = 1; i < bv.size(); ++i) bv[i] = std::max(bv[i], bv[i - 1]);
  return IsotonicRegression(std::move(bx), std::move(bv), mode);
}

}  // namespace reco::calibrate
