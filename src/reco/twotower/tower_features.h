// Categorical feature fields of the two towers: the per-user / per-item CSV files
// (`--user-features U.csv`, `--item-features I.csv`), each field's vocabulary, and the
// field ids of every user / item row of a model.
//
// CSV: header `user,<field>,...` (or `item,<field>,...`), then one row per entity: a raw u64
// id and one cell per field. A cell holds categorical tokens (strings) separated by `|`
// (several = multi-hot, mean-pooled by the tower); an empty cell = missing. Tokens are
// trimmed of spaces; the file has no quoting (tokens cannot contain ',' or '|'). Errors name
// file:line:field.
//
// Vocabulary: per field, tokens numbered 1.. in first-seen order of the CSV; id 0 is
// "unknown / missing": the bag of an entity with an empty cell, of an entity absent from the
// CSV, and of an unknown entity at serving.
//
// SideFields layout (one side = users or items): for field f, a CSR over the model's entity
// rows: the ids of row r are ids[f][offsets[f][r] .. offsets[f][r + 1]) (at least one id per
// row: {0} when missing). Rows follow the model's rows: the training ids first, then the CSV's
// ids unknown to training (cold entities, whose vectors come from their features).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/nn/embedding_bag.h"

namespace reco::twotower {

/// A feature CSV as read: fields and, per row, the raw id and the cells (row-major).
struct FeatureCsv {
  std::string path;
  std::vector<std::string> fields;
  std::vector<uint64_t> ids;
  std::vector<size_t> lines;       ///< 1-based line of each row (for messages)
  std::vector<std::string> cells;  ///< [rows × fields]
};

/// Reads `path`; the header's first column must be `key` ("user" or "item"), at least one
/// field. Duplicate ids, a wrong cell count, a bad id: kParse naming file:line:field.
FeatureCsv read_feature_csv(const std::string& path, const std::string& key);

struct SideFields {
  std::vector<std::string> names;                ///< field names, in CSV order
  std::vector<std::vector<std::string>> vocab;   ///< per field: token of id t is vocab[f][t - 1]
  std::vector<std::vector<uint64_t>> offsets;    ///< per field: rows + 1
  std::vector<std::vector<uint32_t>> ids;        ///< per field

  size_t count() const { return names.size(); }
  size_t rows() const { return offsets.empty() ? 0 : offsets[0].size() - 1; }
  /// Embedding table rows of field f: the vocabulary plus id 0.
  size_t table_rows(size_t f) const { return vocab[f].size() + 1; }
  /// Field ids of one row; row ~0u (unknown entity) gives {0}.
  std::span<const uint32_t> bag(size_t f, uint32_t row) const;
  /// Appends the bags of `rows` (in order) to ids/offsets (offsets starts at {0}).
  void gather(size_t f, std::span<const uint32_t> rows, std::vector<uint32_t>& out_ids,
              std::vector<uint64_t>& out_offsets) const;
  /// Checks the CSR against `rows` entity rows and the vocabulary sizes (kCorrupt naming where).
  void validate(size_t rows, const std::string& where) const;

  nlohmann::json vocab_json() const;  ///< [{"name": ..., "tokens": [...]}, ...]
};

/// Builds the fields of a side from its CSV: the CSV's ids that are not in `ids` are appended
/// to it (cold rows), then every row of `ids` gets its bags.
SideFields build_side_fields(const FeatureCsv& csv, std::vector<uint64_t>& ids);

/// The feature fields of a model and the rows they cover: the training ids first (in the
/// trainer's order), then the ids only the feature files know.
struct TowerFields {
  std::vector<uint64_t> user_ids, item_ids;
  size_t trained_users = 0, trained_items = 0;
  SideFields user, item;  ///< a side without a file has no fields
};

/// users / items may be null (no fields on that side).
TowerFields make_tower_fields(std::span<const uint64_t> train_users, std::span<const uint64_t> train_items,
                              const FeatureCsv* users, const FeatureCsv* items);

/// The bags of one batch of rows for every field of a side (what forward pooled, kept for backward).
struct FieldBags {
  std::vector<std::vector<uint32_t>> ids;
  std::vector<std::vector<uint64_t>> offsets;
  nn::BagBatch bag(size_t f) const { return {ids[f], offsets[f], {}}; }
};

}  // namespace reco::twotower
