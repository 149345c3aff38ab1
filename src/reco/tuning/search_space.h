// The search space of a tuning run: named parameters, each with bounds and a scale. The
// optimizer works in the unit cube; this class maps between the cube and parameter values
// (log-scale parameters are uniform in log, integer ones are rounded after mapping).
//
// Text form of one parameter (CLI --param and space.toml):
//   name:lin:LOWER:UPPER | name:log:LOWER:UPPER | name:int:LOWER:UPPER
// space.toml:   [[param]] name = "w_click"  lower = 0.0  upper = 1.0  scale = "lin"
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace reco::tuning {

enum class ParamScale { kLinear, kLog, kInteger };

struct Parameter {
  std::string name;
  double lower = 0.0;
  double upper = 1.0;
  ParamScale scale = ParamScale::kLinear;
};

class SearchSpace {
 public:
  SearchSpace() = default;
  explicit SearchSpace(std::vector<Parameter> params);  // validates bounds and names

  /// Parses "name:lin|log|int:LOWER:UPPER"; throws kParse naming the text.
  static Parameter parse_parameter(const std::string& text);
  /// Reads [[param]] tables from a TOML file.
  static SearchSpace from_toml(const std::string& path);

  size_t dims() const { return params_.size(); }
  const std::vector<Parameter>& params() const { return params_; }
  std::vector<double> to_unit(const std::vector<double>& values) const;
  std::vector<double> from_unit(const std::vector<double>& unit) const;

  nlohmann::json to_json() const;

 private:
  std::vector<Parameter> params_;
};

}  // namespace reco::tuning
