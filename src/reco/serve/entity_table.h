// EntityTable — the per-item (or per-user) feature values a serving bundle carries, so a
// request builds the ranker's input rows without the training dataset.
//
// Built from the training dataset: for every distinct key (raw item / user id) the values of
// the entity-side columns (item_* / user_* columns, and any model column that is constant per
// key) as they were STORED in the dataset — already vocabulary-encoded or normalized, so
// serving reproduces training exactly. Rows whose values disagree for one key are counted and
// reported by `reco bundle build`; a categorical column keeps the key's first row, a dense one
// its largest value — for leave-one-out counts such as item_log_events ("events on the item,
// minus this row's own") the largest is the row without own events: the full count, which is
// what a served candidate, never seen in this request, should get.
//
// File: container kind "entities", version 1. Sections:
//   "meta"           JSON {"key": column, "rows": N, "columns": [{"name", "categorical",
//                    "cardinality"}...], "conflicts": {column: count}}
//   "keys"           u64 [N], raw ids, ascending
//   "col/<name>"     f32 [N] (dense) or u32 [N] (categorical ids)
//   "tok/<name>"     categorical columns with a vocabulary: the tokens, '\n'-joined, id order
//                    (id 0 = OOV, stored as "")
// Ownership: an EntityTable owns copies of everything; const methods are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace reco {
class Dataset;
}

namespace reco::serve {

inline constexpr uint32_t kMissingEntity = UINT32_MAX;

struct EntityColumn {
  std::string name;
  bool categorical = false;
  uint32_t cardinality = 0;         ///< categorical: ids < cardinality
  std::vector<float> dense;         ///< [rows] (dense columns)
  std::vector<uint32_t> ids;        ///< [rows] (categorical columns)
  std::vector<std::string> tokens;  ///< vocabulary tokens by id (may be empty: identity ids)

  /// The token of an id ("" when unknown or without a vocabulary: then the id as text).
  std::string token(uint32_t id) const;
};

class EntityTable {
 public:
  /// One row per distinct raw id of `key_column`; `columns` must be f32 dense or u32 id columns.
  static EntityTable from_dataset(const Dataset& dataset, const std::string& key_column,
                                  const std::vector<std::string>& columns);
  static EntityTable load(const std::string& path);
  void save(const std::string& path) const;

  const std::string& key_column() const { return key_; }
  size_t rows() const { return keys_.size(); }
  const std::vector<uint64_t>& keys() const { return keys_; }
  /// Row of a raw id, or kMissingEntity.
  uint32_t row(uint64_t raw_id) const;
  /// Null when the table has no such column.
  const EntityColumn* column(const std::string& name) const;
  const std::vector<EntityColumn>& columns() const { return columns_; }
  const std::map<std::string, uint64_t>& conflicts() const { return conflicts_; }
  /// {"column": value-or-token, ...} of one row, for /v1/items and explain.
  nlohmann::json attributes(uint32_t row) const;

 private:
  void index();
  std::string key_;
  std::vector<uint64_t> keys_;
  std::vector<EntityColumn> columns_;
  std::map<std::string, uint64_t> conflicts_;
  std::unordered_map<uint64_t, uint32_t> row_of_;
};

/// Raw ids of a key column's rows: identity ids as they are, vocabulary tokens parsed as u64
/// (kInvalidArgument naming the column when a token is not a number; hashed ids cannot be
/// inverted and are rejected).
std::vector<uint64_t> raw_ids(const Dataset& dataset, const std::string& key_column);

}  // namespace reco::serve
