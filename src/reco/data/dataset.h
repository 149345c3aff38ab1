// The columnar dataset file: what `reco ingest` writes and every learner reads.
// It is a binary container (reco/core/container.h) of kind "dataset", kind version 1.
//
// Sections (every array has one element per row unless stated; little-endian):
//   "meta"                    JSON: {"format_version":1, "rows":N, "columns":[ColumnInfo...],
//                             "vocabularies":[column names], "has_split":bool, "extra":{...}}
//   "col/<name>"              plain column: f32 | u32 | i32 | i64 [rows] (by ColumnInfo.storage)
//   "col/<name>/offsets"      multi-hot: u64 [rows+1], offsets[0] == 0, non-decreasing;
//   "col/<name>/values"       u32 [offsets[rows]]  row r holds values[offsets[r], offsets[r+1])
//   "col/<name>/weights"      f32 [offsets[rows]]  optional per-value weights
//   "vocab/<name>/offsets"    u64 [size+1]  } the column's Vocabulary, serialized as
//   "vocab/<name>/bytes"      char          } documented in reco/features/vocabulary.h
//   "vocab/<name>/counts"     u64 [size]    }
//   "split"                   u8 [rows]: 0 train, 1 validation, 2 test (only when a split was made)
//
// Column order in meta.columns is the order the writer's add_* calls were made.
// "extra" is free JSON the ingester fills (source files, rows read/skipped, downsampling
// {alpha, label, kept, seen}, split spec, schema); the format does not interpret it.
//
// Ownership: Dataset memory-maps the file; every span it returns points into the mapping
// and lives as long as the Dataset object (moving the Dataset keeps spans valid).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/core/container.h"
#include "reco/data/column.h"
#include "reco/features/vocabulary.h"

namespace reco {

inline constexpr std::string_view kDatasetKind = "dataset";
inline constexpr uint32_t kDatasetVersion = 1;
/// Longest column name: the longest section name, "vocab/<name>/offsets", must fit the
/// container's kMaxSectionName (47) bytes. Names must not contain '/'.
inline constexpr size_t kMaxDatasetColumnName = kMaxSectionName - 14;  // 33

struct ColumnInfo {
  std::string name;
  ColumnRole role = ColumnRole::kDense;
  ColumnStorage storage = ColumnStorage::kF32;
  /// u32 / multi-hot columns: number of distinct ids (vocabulary size including OOV, or
  /// hash buckets, or table size); every stored id is < cardinality. 0 for other storages.
  uint32_t cardinality = 0;
  /// "vocab" | "hash" | "identity" for id columns, "" otherwise.
  std::string encoding;
  /// Free per-column JSON: {"normalizer":..., "stats":..., "positive":[...],
  /// "source":"raw column", "hash_seed":..., ...}. Always an object.
  nlohmann::json details = nlohmann::json::object();
};

nlohmann::json column_info_to_json(const ColumnInfo& info);
/// Throws ErrorCode::kCorrupt naming the missing/mistyped field.
ColumnInfo column_info_from_json(const nlohmann::json& j);

/// Builds a dataset file. Each add_* call validates its input and writes the section(s)
/// immediately (the caller's spans need to live only for the call); the meta section is
/// written by commit(), which makes the file visible atomically. Destroying the writer
/// without commit() leaves no file behind.
/// Validation (ErrorCode::kInvalidArgument, message names the column): set_rows() first;
/// array lengths == rows; unique column names; storage consistent with the call (the
/// call sets info.storage) and with storage_for(info.role); ids < cardinality (u32 and
/// multi-hot columns need cardinality > 0); multi-hot offsets start at 0, non-decreasing,
/// end at values.size(); weights empty or values.size(). At commit: every vocabulary
/// belongs to a stored column whose cardinality equals the vocabulary's size().
class DatasetWriter {
 public:
  explicit DatasetWriter(std::string path);
  ~DatasetWriter();
  DatasetWriter(const DatasetWriter&) = delete;
  DatasetWriter& operator=(const DatasetWriter&) = delete;

  void set_rows(uint64_t rows);
  uint64_t rows() const;

  void add_f32(ColumnInfo info, std::span<const float> values);
  void add_u32(ColumnInfo info, std::span<const uint32_t> values);
  void add_i32(ColumnInfo info, std::span<const int32_t> values);
  void add_i64(ColumnInfo info, std::span<const int64_t> values);
  /// `weights` empty (unweighted) or one per value.
  void add_multi_hot(ColumnInfo info, std::span<const uint64_t> offsets,
                     std::span<const uint32_t> values, std::span<const float> weights = {});
  void add_vocabulary(std::string_view column, const Vocabulary& vocabulary);
  /// One byte per row, each 0 (train), 1 (validation) or 2 (test).
  void set_split(std::span<const uint8_t> split);
  /// Replaces meta.extra (must be a JSON object).
  void set_extra(nlohmann::json extra);

  void commit();

  const std::string& path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct MultiHotView {
  std::span<const uint64_t> offsets;  ///< rows + 1
  std::span<const uint32_t> values;   ///< offsets.back()
  std::span<const float> weights;     ///< empty or values.size()
  std::span<const uint32_t> row(uint64_t r) const {
    return values.subspan(offsets[r], offsets[r + 1] - offsets[r]);
  }
};

struct DatasetOpenOptions {
  bool verify_checksums = true;  ///< container section checksums (see container.h)
  bool validate_ids = true;      ///< O(rows) pass: ids < cardinality, split values <= 2
};

/// A read-only, memory-mapped dataset. Open validates (ErrorCode::kCorrupt, message names
/// file and column): meta parses, every column's sections exist with length == rows,
/// multi-hot offsets start at 0, are non-decreasing and end at values' length, weights
/// length, ids < cardinality (unless validate_ids is off), vocabulary sizes equal the
/// column cardinality. Thread-safe for concurrent readers (vocabulary() included).
class Dataset {
 public:
  using OpenOptions = DatasetOpenOptions;
  static Dataset open(const std::string& path, OpenOptions options);
  static Dataset open(const std::string& path) { return open(path, OpenOptions{}); }

  Dataset(Dataset&&) noexcept;
  Dataset& operator=(Dataset&&) noexcept;
  ~Dataset();

  const std::string& path() const;
  uint64_t rows() const;
  const std::vector<ColumnInfo>& columns() const;
  bool has(std::string_view name) const;
  /// Throws ErrorCode::kNotFound listing the available column names.
  const ColumnInfo& column(std::string_view name) const;

  /// Typed views; throw kNotFound (no such column) or kInvalidArgument (other storage).
  std::span<const float> f32(std::string_view name) const;
  std::span<const uint32_t> u32(std::string_view name) const;
  std::span<const int32_t> i32(std::string_view name) const;
  std::span<const int64_t> i64(std::string_view name) const;
  MultiHotView multi_hot(std::string_view name) const;

  bool has_vocabulary(std::string_view column) const;
  /// Built from the file on first use and cached. Throws kNotFound when the column has none.
  const Vocabulary& vocabulary(std::string_view column) const;

  /// u8 per row (0 train, 1 validation, 2 test), or empty when the file has no split.
  std::span<const uint8_t> split() const;
  /// Names of the label columns, in column order.
  std::vector<std::string> labels() const;

  const nlohmann::json& meta() const;
  /// meta()["extra"] (an object, possibly empty).
  const nlohmann::json& extra() const;

 private:
  Dataset();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reco
