// Schema — the user-facing description of a CSV/TSV file (TOML), parsed into plain structs.
//
// TOML layout (unknown keys anywhere are errors naming the key, the schema file and its line):
//
//   [format]
//   delimiter  = ","        # "," "\t" "|" ";" ", " (multi-byte) or "whitespace" (runs of spaces/tabs)
//   header     = true       # first data line holds the column names
//   names      = ["label", "I{1..13}", "C{1..26}"]   # required when header = false;
//                           # "P{a..b}" expands to Pa, Pa+1, ..., Pb
//   quote      = '"'        # RFC-4180 quoting; "" turns quoting off
//   trim       = false      # strip spaces/tabs around every field
//   missing    = [""]       # field texts that mean "missing" (e.g. ["", "NA", "?"])
//   comment    = ""         # lines starting with this prefix are skipped (and counted)
//   skip_lines = 0          # lines skipped at the top of every file (before the header)
//   unmatched  = "error"    # input columns no [[column]] matches: "error" | "ignore"
//
//   [[column]]              # first entry whose name equals / glob `match` matches wins
//   name  = "x"             # or: match = "C*"  (glob: * any run, ? one char)
//   role  = "dense"         # label dense weight categorical multi_hot user_id item_id query_id
//                           # position timestamp ignore   (see column.h)
//   # dense:        normalizer = "zscore" | "log_median" | "log1p" | "none"   (default zscore)
//   # categorical / multi_hot:
//   #               encoding = "vocab" (min_count = 1, max_size = 0 = unlimited)
//   #                        | "hash" (buckets = N, required; seed = 0)
//   #                        | "identity" (non-negative integers are the ids; cardinality max+1)
//   #   multi_hot:  separator = "|", weighted = false ("a:0.5|b:1" when true)
//   # user_id / item_id / query_id: exact vocabulary (no min_count) or encoding = "identity"
//   # label:        numeric by default (0/1 or real); or positive = [...] (+ negative = [...]:
//   #               any other value is an error; without negative, everything else is 0);
//   #               or threshold = 4.0 (label = value >= threshold);
//   #               allow_missing = true turns missing labels into NaN (masked) instead of errors
//   # timestamp:    format = "unix" (default) | "yymmddhh" (Avazu hour) | strptime style "%Y-%m-%d";
//   #               hour_of_day = "name" also stores the UTC hour 0..23 as a categorical column
//   #               (identity ids, cardinality 24) under that name
//   # position:     integer;  weight: float
//
//   [[label]]               # a label derived from another column's raw text (that column may be
//   name = "buy"            # "ignore" as a feature)
//   from = "behavior"
//   positive = ["buy"]      # or threshold = 4 (numeric source)
//   domain = ["pv", "fav", "cart", "buy"]   # optional: any other value is an error
//   allow_missing = false
//
//   [[cross]]               # hashed cross of raw strings of two or more columns
//   name = "city_x_cell"
//   columns = ["city", "cell"]
//   buckets = 1000003
//
// Ownership: Schema is a value type; the original TOML text is kept in `toml_text` so a dataset can
// record exactly what produced it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reco/data/column.h"

namespace reco {

enum class Unmatched : uint8_t { kError, kIgnore };
enum class Encoding : uint8_t { kVocab, kHash, kIdentity };

std::string_view encoding_name(Encoding e);

struct FormatSpec {
  std::string delimiter = ",";  ///< normalized: "\t", ", ", "whitespace", ...
  bool header = true;
  std::vector<std::string> names;  ///< expanded
  char quote = '"';                ///< '\0' = no quoting
  bool trim = false;
  std::vector<std::string> missing = {""};
  std::string comment;
  int64_t skip_lines = 0;
  Unmatched unmatched = Unmatched::kError;
};

/// How a label's value comes from text; shared by [[column]] role=label and [[label]].
struct LabelRule {
  std::vector<std::string> positive;  ///< non-empty: string labels
  std::vector<std::string> negative;  ///< with positive: the closed set of negatives
  std::vector<std::string> domain;    ///< [[label]] only: allowed values (empty = any)
  std::optional<double> threshold;    ///< numeric value >= threshold -> 1
  bool allow_missing = false;
};

struct ColumnSpec {
  std::string name;   ///< exact name, or empty when `match` is used
  std::string match;  ///< glob
  ColumnRole role = ColumnRole::kIgnore;
  std::string normalizer = "zscore";  ///< dense
  Encoding encoding = Encoding::kVocab;
  uint64_t min_count = 1;
  uint64_t max_size = 0;
  uint64_t buckets = 0;
  uint64_t seed = 0;
  std::string separator = "|";  ///< multi_hot
  bool weighted = false;        ///< multi_hot
  LabelRule label;
  std::string time_format = "unix";  ///< timestamp
  std::string hour_of_day;           ///< timestamp: name of an extra hour-of-day column, or ""
  int64_t toml_line = 0;
};

struct DerivedLabelSpec {
  std::string name;
  std::string from;
  LabelRule rule;
  int64_t toml_line = 0;
};

struct CrossSpec {
  std::string name;
  std::vector<std::string> columns;
  uint64_t buckets = 0;
  uint64_t seed = 0;
  int64_t toml_line = 0;
};

struct Schema {
  FormatSpec format;
  std::vector<ColumnSpec> columns;
  std::vector<DerivedLabelSpec> labels;
  std::vector<CrossSpec> crosses;
  std::string source;     ///< schema file path or "preset:<name>"
  std::string toml_text;  ///< the TOML this schema was parsed from
};

/// Parses schema TOML. `source` names it in errors ("<source>:<line>:<column>: ...").
/// Throws kParse for invalid TOML, unknown keys, wrong types and inconsistent settings.
Schema parse_schema(std::string_view toml_text, std::string_view source);

/// Reads and parses a user schema file (kNotFound when missing).
Schema schema_from_file(const std::string& path);

/// Expands "I{1..13}" into I1..I13; any other text is returned as one name.
std::vector<std::string> expand_name_range(std::string_view pattern);

/// Glob match with '*' (any run, possibly empty) and '?' (one byte).
bool glob_match(std::string_view pattern, std::string_view text);

/// Index into schema.columns of the spec that governs input column `name` (first match in
/// schema order; exact `name` entries and `match` globs are tried in that same order), or -1.
int find_column_spec(const Schema& schema, std::string_view name);

}  // namespace reco
