// Column vocabulary shared by the schema (text side) and the dataset file (binary side).
//
// A dataset is columnar: every stored column has one role and one storage type.
//   role            storage           meaning
//   label           f32  [rows]       target; 0/1 for binary tasks, NaN = unknown (masked)
//   dense           f32  [rows]       normalized numeric feature; missing -> 0.0
//   weight          f32  [rows]       sample weight
//   categorical     u32  [rows]       id from a vocabulary (0 = out-of-vocabulary) or a hash bucket
//   multi_hot       u64 offsets [rows+1] + u32 values [nnz] (+ optional f32 weights [nnz])
//   user_id/item_id/query_id  u32 [rows]  vocabulary id of the raw id string (exact, no min-count)
//   position        i32  [rows]       displayed position (1-based as logged; 0 = unknown)
//   timestamp       i64  [rows]       unix seconds
//   ignore          (not stored)
#pragma once

#include <cstdint>
#include <string_view>

namespace reco {

enum class ColumnRole : uint8_t {
  kLabel,
  kDense,
  kWeight,
  kCategorical,
  kMultiHot,
  kUserId,
  kItemId,
  kQueryId,
  kPosition,
  kTimestamp,
  kIgnore,
};

enum class ColumnStorage : uint8_t { kF32, kU32, kI32, kI64, kMultiHotU32 };

/// "label", "dense", ..., "ignore".
std::string_view column_role_name(ColumnRole role);
/// Inverse of column_role_name; also accepts "request_id" for kQueryId. Throws kInvalidArgument
/// listing the valid names.
ColumnRole parse_column_role(std::string_view name);
/// The storage a role uses in the dataset file.
ColumnStorage storage_for(ColumnRole role);
std::string_view column_storage_name(ColumnStorage storage);

}  // namespace reco
