// RowParser — turns the data lines of one schema into column builders (the ingest pass).
//
// Bound to a Schema and the input's column names (from the header or [format].names), it plans,
// once, what every input field feeds: at most one output column from its [[column]] spec, plus any
// [[label]]s derived from it and any [[cross]]es that use it. Each data line is split, every field
// parsed into per-row staging slots, and only when the whole row is valid are the slots appended
// to the builders ("commit") — a rejected row leaves no trace, which --on-error=skip relies on.
//
// Output column order: labels ([[column]] role=label in input order, then [[label]]s), then the
// other stored columns in input order (a timestamp's hour_of_day column right after it), then
// crosses.
//
// Builder data layout (one OutputColumn per stored column):
//   label/dense/weight  f32 [rows]     raw values, NaN = missing (dense normalized later by ingest)
//   categorical, ids    u32 [rows]     vocab: provisional ids of a VocabularyBuilder (remapped
//                                      at finalize); hash: bucket; identity: the integer itself
//   multi_hot           u64 offsets [rows+1] + u32 values (+ f32 weights), ids as above
//   position            i32 [rows];  timestamp i64 [rows] (unix seconds)
// Vocabulary tokens are counted only at commit, so a rejected row does not change counts.
// Strings are hashed / looked up straight from the line buffer: no allocation per field.
//
// Apply mode (ingest --reference): before parsing, the caller may bind an output column to a
// reference dataset's encoding: `fixed_vocab` makes vocab columns look tokens up (final ids,
// unknown -> 0 = OOV, counted in `oov`) instead of building a vocabulary, and `id_limit`
// rejects identity ids >= the reference cardinality (RowIssue reason "id").
// Missing labels (RowParserOptions::allow_missing_labels): a label whose field is missing, or
// whose source column is absent from the input (input == -1, an "absent" label), is NaN.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reco/data/field_splitter.h"
#include "reco/data/schema.h"
#include "reco/features/vocabulary.h"

namespace reco {

/// Why a row was rejected. `reason` is a short stable key used for skip counts
/// ("field_count", "quote", "dense", "label", "timestamp", "id", "position", "weight",
/// "multi_hot"); `message` is "<field>: expected <what>, got '<text>'" without the location.
struct RowIssue {
  std::string reason;
  uint32_t column = 0;  ///< 1-based byte column in the line
  std::string message;
};

enum class BuilderKind : uint8_t { kF32, kU32, kI32, kI64, kMultiHot };

struct OutputColumn {
  std::string name;
  ColumnRole role = ColumnRole::kIgnore;
  BuilderKind kind = BuilderKind::kF32;
  Encoding encoding = Encoding::kVocab;  ///< u32 / multi-hot only
  int spec = -1;           ///< index into schema.columns, -1 for derived labels / crosses
  int derived = -1;        ///< index into schema.labels
  int cross = -1;          ///< index into schema.crosses
  int input = -1;          ///< source input column (-1 for crosses and absent labels)
  int hour_of = -1;        ///< hour-of-day column: output index of its timestamp column
  std::vector<int> cross_inputs;  ///< crosses: input column of each crossed name
  uint64_t buckets = 0;    ///< hash / cross
  uint64_t seed = 0;

  // Builders.
  std::vector<float> f32;
  std::vector<uint32_t> u32;
  std::vector<int32_t> i32;
  std::vector<int64_t> i64;
  std::vector<uint64_t> offsets{0};
  std::vector<uint32_t> values;
  std::vector<float> weights;
  VocabularyBuilder vocab;  ///< encoding == kVocab
  uint64_t max_id = 0;      ///< identity: largest id seen (cardinality = max_id + 1)
  bool any_id = false;

  // Apply mode (see the file comment); set by the caller before the first parse().
  std::optional<Vocabulary> fixed_vocab;  ///< vocab: final ids by lookup, no building
  uint64_t id_limit = 0;    ///< identity: ids must be < id_limit (0 = no limit)
  uint64_t oov = 0;         ///< fixed_vocab: committed values that mapped to id 0

  // Per-row staging (valid between parse and commit).
  float s_f32 = 0;
  uint32_t s_u32 = 0;
  int64_t s_i64 = 0;
  std::string_view s_token;
  std::vector<std::string_view> s_tokens;
  std::vector<uint32_t> s_ids;
  std::vector<float> s_weights;
};

struct RowParserOptions {
  /// Rows to score: a missing label field is NaN (as if allow_missing = true), and a label
  /// whose source column is not in the input is an absent label (every row NaN) instead of
  /// an error. Absent [[column]] labels come after the present labels, in schema order.
  bool allow_missing_labels = false;
};

class RowParser {
 public:
  /// `names`: the input's column names in file order. Throws kParse (naming `where`, e.g.
  /// "data.csv:1") when a name matches no [[column]] and unmatched = "error", when a
  /// [[label]]/[[cross]] names a column that does not exist, or names repeat.
  RowParser(const Schema& schema, std::vector<std::string> names, std::string_view where,
            RowParserOptions options = {});

  /// Parses one data line; on success appends it to the builders (unless `keep` says no)
  /// and returns true. On failure fills `issue` and changes nothing.
  bool parse(std::string_view line, RowIssue& issue);

  /// Downsampling hook: called after a row parsed; returning false drops the row (counted by
  /// the caller). Index of the label output column it reads is downsample_label().
  void set_row_filter(std::function<bool(float label_value)> keep, int label_output);

  /// Reserves builder capacity for about `rows` rows (an estimate; growing past it is fine).
  void reserve(uint64_t rows);

  uint64_t rows() const { return rows_; }
  const std::vector<std::string>& names() const { return names_; }
  std::vector<OutputColumn>& outputs() { return outputs_; }
  const std::vector<OutputColumn>& outputs() const { return outputs_; }
  /// Output index of the label named `name` (empty: the first label), or -1.
  int label_output(std::string_view name) const;
  /// Output index of the column named `name`, or -1.
  int output_index(std::string_view name) const;
  /// True when the last successful parse() dropped the row via the row filter.
  bool last_dropped() const { return last_dropped_; }

 private:
  bool parse_field(OutputColumn& out, const ColumnSpec& spec, const Field& f, RowIssue& issue);
  bool parse_label(const LabelRule& rule, const std::string& name, const Field& f, float& value,
                   RowIssue& issue);
  bool parse_id(OutputColumn& out, std::string_view text, const std::string& name,
                uint32_t column, uint32_t& id, std::string_view& token, RowIssue& issue);
  bool is_missing(std::string_view text) const;
  void commit();

  const Schema& schema_;
  std::vector<std::string> names_;
  FieldSplitter splitter_;
  std::vector<Field> fields_;
  std::vector<OutputColumn> outputs_;
  std::vector<uint64_t> cross_hashes_;
  std::string time_buf_;
  uint64_t rows_ = 0;
  std::function<bool(float)> keep_;
  int keep_label_ = -1;
  bool last_dropped_ = false;
  bool missing_is_empty_only_ = true;
  bool allow_missing_labels_ = false;
};

/// Parses a number the way the ingester does: std::from_chars, optional leading '+'.
bool parse_double(std::string_view text, double& out);
bool parse_int64(std::string_view text, int64_t& out);
/// Timestamp text -> unix seconds. format: "unix", "yymmddhh" or a strptime format (UTC).
bool parse_timestamp(std::string_view text, const std::string& format, std::string& scratch,
                     int64_t& out);

}  // namespace reco
