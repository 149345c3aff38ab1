#include "reco/data/column.h"

#include <array>
#include <string>

#include "reco/core/error.h"

namespace reco {

namespace {
constexpr std::array<std::pair<ColumnRole, std::string_view>, 11> kRoleNames = {{
    {ColumnRole::kLabel, "label"},
    {ColumnRole::kDense, "dense"},
    {ColumnRole::kWeight, "weight"},
    {ColumnRole::kCategorical, "categorical"},
    {ColumnRole::kMultiHot, "multi_hot"},
    {ColumnRole::kUserId, "user_id"},
    {ColumnRole::kItemId, "item_id"},
    {ColumnRole::kQueryId, "query_id"},
    {ColumnRole::kPosition, "position"},
    {ColumnRole::kTimestamp, "timestamp"},
    {ColumnRole::kIgnore, "ignore"},
}};
}  // namespace

std::string_view column_role_name(ColumnRole role) {
  for (const auto& [r, name] : kRoleNames) {
    if (r == role) return name;
  }
  return "unknown";
}

ColumnRole parse_column_role(std::string_view name) {
  if (name == "request_id") return ColumnRole::kQueryId;
  for (const auto& [r, n] : kRoleNames) {
    if (n == name) return r;
  }
  std::string valid;
  for (const auto& [r, n] : kRoleNames) {
    if (!valid.empty()) valid += ", ";
    valid += n;
  }
  RECO_THROW(ErrorCode::kInvalidArgument) << "unknown column role '" << name << "' (valid: " << valid
                                          << ", request_id)";
}

ColumnStorage storage_for(ColumnRole role) {
  switch (role) {
    case ColumnRole::kLabel:
    case ColumnRole::kDense:
    case ColumnRole::kWeight: return ColumnStorage::kF32;
    case ColumnRole::kCategorical:
    case ColumnRole::kUserId:
    case ColumnRole::kItemId:
    case ColumnRole::kQueryId: return ColumnStorage::kU32;
    case ColumnRole::kMultiHot: return ColumnStorage::kMultiHotU32;
    case ColumnRole::kPosition: return ColumnStorage::kI32;
    case ColumnRole::kTimestamp: return ColumnStorage::kI64;
    case ColumnRole::kIgnore: break;
  }
  RECO_THROW(ErrorCode::kInternal) << "role " << column_role_name(role) << " has no storage";
}

std::string_view column_storage_name(ColumnStorage storage) {
  switch (storage) {
    case ColumnStorage::kF32: return "f32";
    case ColumnStorage::kU32: return "u32";
    case ColumnStorage::kI32: return "i32";
    case ColumnStorage::kI64: return "i64";
    case ColumnStorage::kMultiHotU32: return "multi_hot_u32";
  }
  return "unknown";
}

}  // namespace reco
