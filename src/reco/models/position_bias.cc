#include "reco/models/position_bias.h"

#include "reco/core/error.h"
#include "reco/data/dataset.h"

namespace reco::models {

PositionMethod parse_position_method(std::string_view name) {
  if (name == "none" || name.empty()) return PositionMethod::kNone;
  if (name == "feature") return PositionMethod::kFeature;
  if (name == "tower") return PositionMethod::kTower;
  if (name == "ipw") return PositionMethod::kIpw;
  RECO_THROW(ErrorCode::kInvalidArgument) << "position.method: unknown '" << name
                                          << "' (expected none, feature, tower or ipw)";
}

std::string_view position_method_name(PositionMethod method) {
  switch (method) {
    case PositionMethod::kNone: return "none";
    case PositionMethod::kFeature: return "feature";
    case PositionMethod::kTower: return "tower";
    case PositionMethod::kIpw: return "ipw";
  }
  return "none";
}

uint32_t PositionBias::table_rows() const {
  switch (method) {
    case PositionMethod::kFeature: return max_position + 1;
    case PositionMethod::kTower: return (max_position + 1) * cross_rows;
    default: return 0;
  }
}

void PositionBias::validate() const {
  if (!enabled()) return;
  RECO_CHECK(!column.empty()) << "position.column: required when position.method = \"" << position_method_name(method)
                              << "\"";
  RECO_CHECK(max_position >= 1 && max_position <= 100000)
      << "position.max_position: " << max_position << " is out of range [1, 100000]";
  // Dropout restricted to the unbiased slice may drop all of it (1); over all rows it must leave positions.
  const float max_dropout = slice.empty() ? 1.0f : 1.0f + 1e-6f;
  RECO_CHECK(dropout >= 0.0f && dropout < max_dropout)
      << "position.dropout: " << dropout << " is outside " << (slice.empty() ? "[0, 1)" : "[0, 1] (with position.slice)");
  RECO_CHECK(cross.empty() || method == PositionMethod::kTower) << "position.cross: only the tower method crosses";
  RECO_CHECK(cross_rows >= 1) << "position.cross: the crossed column has no ids";
  RECO_CHECK(static_cast<uint64_t>(max_position + 1) * cross_rows <= (uint64_t{1} << 31))
      << "position.cross: the tower table would have too many rows";
  if (method == PositionMethod::kIpw) {
    RECO_CHECK(!slice.empty()) << "position.slice: ipw needs the column marking the unbiased (random-traffic) rows";
    RECO_CHECK(clip > 0.0f && clip <= 1.0f) << "position.clip: " << clip << " is outside (0, 1]";
    RECO_CHECK(dropout == 0.0f) << "position.dropout: ipw has no position input to drop";
  }
  for (const auto& t : propensity)
    RECO_CHECK(t.size() == static_cast<size_t>(max_position) + 1)
        << "position.propensity: " << t.size() << " entries, expected " << max_position + 1;
}

nlohmann::json PositionBias::to_json() const {
  return {{"method", position_method_name(method)},
          {"column", column},
          {"max_position", max_position},
          {"dropout", dropout},
          {"cross", cross},
          {"cross_rows", cross_rows},
          {"slice", slice},
          {"clip", clip},
          {"propensity", propensity}};
}

PositionBias PositionBias::from_json(const nlohmann::json& j) {
  PositionBias p;
  try {
    p.method = parse_position_method(j.at("method").get<std::string>());
    p.column = j.value("column", std::string());
    p.max_position = j.value("max_position", 0u);
    p.dropout = j.value("dropout", 0.0f);
    p.cross = j.value("cross", std::string());
    p.cross_rows = j.value("cross_rows", 1u);
    p.slice = j.value("slice", std::string());
    p.clip = j.value("clip", 0.05f);
    p.propensity = j.value("propensity", std::vector<std::vector<float>>());
  } catch (const nlohmann::json::exception& e) {
    RECO_THROW(ErrorCode::kCorrupt) << "position bias: " << e.what();
  }
  p.validate();
  return p;
}

PositionColumn::PositionColumn(const Dataset& ds, const std::string& column) {
  const ColumnInfo& c = ds.column(column);
  rows_ = ds.rows();
  switch (c.storage) {
    case ColumnStorage::kI32: i32_ = ds.i32(column).data(); break;
    case ColumnStorage::kU32: u32_ = ds.u32(column).data(); break;
    case ColumnStorage::kF32: f32_ = ds.f32(column).data(); break;
    default:
      RECO_THROW(ErrorCode::kInvalidArgument) << ds.path() << ": position column '" << column
                                              << "' is not numeric (i32, u32 or f32)";
  }
}

double PositionColumn::raw(uint64_t row) const {
  if (i32_) return i32_[row];
  if (u32_) return u32_[row];
  return f32_[row];
}

double PositionColumn::max_value() const {
  double m = 0.0;
  for (uint64_t r = 0; r < rows_; ++r) m = std::max(m, raw(r));
  return m;
}

}  // namespace reco::models
