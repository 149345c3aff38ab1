#include "reco/tuning/search_space.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "reco/core/error.h"

namespace reco::tuning {

namespace {
ParamScale parse_scale(const std::string& s, const std::string& where) {
  if (s == "lin" || s == "linear") return ParamScale::kLinear;
  if (s == "log") return ParamScale::kLog;
  if (s == "int" || s == "integer") return ParamScale::kInteger;
  RECO_THROW(ErrorCode::kParse) << where << ": scale must be lin, log or int, got '" << s << "'";
}

const char* scale_name(ParamScale s) {
  switch (s) {
    case ParamScale::kLinear: return "lin";
    case ParamScale::kLog: return "log";
    case ParamScale::kInteger: return "int";
  }
  return "?";
}

double parse_number(const std::string& s, const std::string& where) {
  size_t used = 0;
  double v = 0.0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  RECO_CHECK_CODE(used == s.size() && !s.empty() && std::isfinite(v), ErrorCode::kParse)
      << where << ": expected a number, got '" << s << "'";
  return v;
}
}  // namespace

SearchSpace::SearchSpace(std::vector<Parameter> params) : params_(std::move(params)) {
  RECO_CHECK(!params_.empty()) << "search space: no parameters";
  std::set<std::string> names;
  for (const auto& p : params_) {
    RECO_CHECK(!p.name.empty()) << "search space: a parameter has no name";
    RECO_CHECK(names.insert(p.name).second) << "search space: parameter '" << p.name << "' given twice";
    RECO_CHECK(p.lower < p.upper) << "search space: parameter '" << p.name << "' needs lower < upper, got ["
                                  << p.lower << ", " << p.upper << "]";
    RECO_CHECK(p.scale != ParamScale::kLog || p.lower > 0)
        << "search space: log-scale parameter '" << p.name << "' needs a positive lower bound";
  }
}

Parameter SearchSpace::parse_parameter(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t colon = text.find(':', start);
    parts.push_back(text.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  const std::string where = "parameter '" + text + "'";
  RECO_CHECK_CODE(parts.size() == 4, ErrorCode::kParse) << where << ": expected name:lin|log|int:LOWER:UPPER";
  Parameter p{parts[0], parse_number(parts[2], where), parse_number(parts[3], where), parse_scale(parts[1], where)};
  return p;
}

SearchSpace SearchSpace::from_toml(const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    RECO_THROW(ErrorCode::kParse) << path << ":" << e.source().begin.line << ": " << e.description();
  }
  const toml::array* arr = root["param"].as_array();
  RECO_CHECK_CODE(arr && !arr->empty(), ErrorCode::kParse) << path << ": expected [[param]] tables";
  std::vector<Parameter> params;
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::table* t = arr->get(i)->as_table();
    const std::string where = path + ": param #" + std::to_string(i + 1);
    RECO_CHECK_CODE(t, ErrorCode::kParse) << where << ": expected a table";
    Parameter p;
    auto name = (*t)["name"].value<std::string>();
    auto lower = (*t)["lower"].value<double>();
    auto upper = (*t)["upper"].value<double>();
    RECO_CHECK_CODE(name && lower && upper, ErrorCode::kParse) << where << ": needs name, lower and upper";
    p.name = *name, p.lower = *lower, p.upper = *upper;
    p.scale = parse_scale((*t)["scale"].value_or(std::string("lin")), where);
    params.push_back(p);
  }
  return SearchSpace(std::move(params));
}

std::vector<double> SearchSpace::to_unit(const std::vector<double>& values) const {
  RECO_CHECK(values.size() == params_.size()) << "search space: " << values.size() << " values for "
                                              << params_.size() << " parameters";
  std::vector<double> u(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const Parameter& p = params_[i];
    const double v = std::clamp(values[i], p.lower, p.upper);
    u[i] = p.scale == ParamScale::kLog ? std::log(v / p.lower) / std::log(p.upper / p.lower)
                                       : (v - p.lower) / (p.upper - p.lower);
  }
  return u;
}

std::vector<double> SearchSpace::from_unit(const std::vector<double>& unit) const {
  RECO_CHECK(unit.size() == params_.size()) << "search space: " << unit.size() << " coordinates for "
                                            << params_.size() << " parameters";
  std::vector<double> v(unit.size());
  for (size_t i = 0; i < unit.size(); ++i) {
    const Parameter& p = params_[i];
    const double u = std::clamp(unit[i], 0.0, 1.0);
    if (p.scale == ParamScale::kLog) {
      v[i] = p.lower * std::exp(u * std::log(p.upper / p.lower));
    } else {
      v[i] = p.lower + u * (p.upper - p.lower);
      if (p.scale == ParamScale::kInteger) v[i] = std::clamp(std::round(v[i]), std::ceil(p.lower), std::floor(p.upper));
    }
  }
  return v;
}

nlohmann::json SearchSpace::to_json() const {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& p : params_)
    arr.push_back({{"name", p.name}, {"lower", p.lower}, {"upper", p.upper}, {"scale", scale_name(p.scale)}});
  return arr;
}

}  // namespace reco::tuning
