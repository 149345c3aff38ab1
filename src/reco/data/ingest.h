// ingest — text files (CSV/TSV/edge lists, plain or gzip) into one columnar dataset file.
//
// Pipeline (single pass over the text, single-threaded parse):
//   1. for each input: LineReader -> skip_lines / comments / blank lines (counted) -> header
//      (names must be identical across inputs) -> RowParser (split, parse, stage, commit);
//      negatives of the downsampling label are dropped at parse time by keep_negative(row, alpha)
//      where row counts every valid row seen, so the decision does not depend on file boundaries.
//   2. finalize: vocabularies (min_count, max_size; ids remapped, 0 = OOV), identity
//      cardinalities, DenseStats per dense column, Normalizer fit + apply (raw stats are kept in
//      the column details), split (split.h) over the kept rows.
//   3. DatasetWriter: columns in RowParser order, vocabularies, split, extra meta (sources,
//      schema text + name, report numbers, downsampling {alpha,label,seen,kept}, split spec).
//
// Bad input: strict mode throws the first problem as kParse
//   "<file>:<line>:<column>: <field>: expected <what>, got '<text>'";
// skip mode counts rejected rows per reason and keeps the first `max_error_examples` messages.
// Nothing is silently dropped: comment, blank and skip_lines lines are counted in the report.
//
// Apply mode (IngestOptions::reference = an existing dataset file, typically the training set):
// new rows are encoded exactly the way the reference was, so a model trained on it can score
// them. Nothing is refit on the new rows:
//   - schema: the reference's (meta.extra schema_toml/schema_source) unless the caller gives
//     one; either way the output columns must equal the reference's as a set (name, role,
//     storage, encoding, and for hash columns buckets + seed) — kInvalidArgument names the
//     first column that differs. Columns are written in the reference's order.
//   - vocab columns: lookup in the reference Vocabulary (written unchanged into the output);
//     unknown tokens (and tokens the reference dropped by min_count/max_size) get id 0 = OOV,
//     counted per column in IngestReport::oov and in the column details as "oov".
//   - hash columns (and crosses): hashing is a pure function of schema buckets + seed, checked
//     equal to the reference's "hash_seed" and cardinality.
//   - identity columns keep the reference cardinality; an id >= it is a bad row (RowIssue
//     reason "id"): strict mode throws kParse naming file:line:column, skip mode drops and
//     counts the row. Ids are never remapped (0 is a real id under identity encoding).
//   - dense columns: the reference's fitted normalizer (details.normalizer); details.stats
//     holds the raw statistics of the new rows.
//   - no downsampling and no split unless the options ask for them (defaults are off).
//   - meta.extra.reference = the reference path.
// Rows to score: allow_missing_labels turns missing label fields into NaN and lets label
// columns be absent from a headed input (stored as all-NaN label columns with details
// {"absent": true}); headerless inputs ([format] names) must still have every field.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/core/context.h"
#include "reco/data/schema.h"

namespace reco {

enum class OnError : uint8_t { kStrict, kSkip };

/// "strict" | "skip"; throws kInvalidArgument otherwise.
OnError parse_on_error(std::string_view text);

struct IngestOptions {
  std::vector<std::string> inputs;  ///< one or more files with the same layout
  /// Required unless `reference` is set; with a reference, a default-constructed (empty)
  /// Schema means "the reference's schema".
  Schema schema;
  std::string schema_name;          ///< preset name or schema path, recorded in the meta
  std::string output;               ///< dataset file to write
  OnError on_error = OnError::kStrict;
  size_t max_error_examples = 5;
  double downsample_alpha = 1.0;    ///< keep negatives with this probability (1 = off)
  std::string downsample_label;     ///< label deciding positive/negative; empty = first label
  std::string split = "none";       ///< SplitSpec text (split.h)
  RunContext ctx;                   ///< seed (downsampling + split), quiet (progress)
  std::string reference;            ///< apply mode: dataset whose encoding to reuse ("" = off)
  bool allow_missing_labels = false;  ///< missing/absent labels -> NaN (rows to score)
};

struct IngestReport {
  uint64_t lines_read = 0;         ///< every physical line of every input
  uint64_t header_lines = 0;
  uint64_t skipped_lines = 0;      ///< [format] skip_lines
  uint64_t comment_lines = 0;
  uint64_t blank_lines = 0;
  uint64_t rows_read = 0;          ///< data lines (valid or not)
  uint64_t rows_skipped = 0;       ///< rejected rows (skip mode)
  std::map<std::string, uint64_t> skip_reasons;
  std::vector<std::string> error_examples;
  uint64_t negatives_seen = 0;     ///< downsampling: valid rows whose label is 0
  uint64_t negatives_kept = 0;
  uint64_t rows_written = 0;
  std::map<std::string, uint64_t> oov;  ///< apply mode: vocab column -> values mapped to id 0
  uint64_t bytes_read = 0;         ///< bytes read from disk (compressed size for gzip)
  uint64_t text_bytes = 0;         ///< decompressed bytes parsed
  double parse_seconds = 0;
  double elapsed_seconds = 0;

  nlohmann::json to_json() const;
};

/// Runs the pipeline above. Throws reco::Error (kParse for bad input in strict mode, kNotFound
/// for missing inputs or reference, kInvalidArgument for bad options or a reference whose
/// columns do not match).
IngestReport ingest(const IngestOptions& options);

}  // namespace reco
