// Interactions: the (user, item, weight, timestamp) rows that candidate sources are built
// from and evaluated on, the interactions CSV that holds them, and the train/test split of
// the raw public datasets into that CSV.
//
// Interactions CSV (written by `reco candidates split`, read by builders and the evaluator):
//   header  user,item,weight,timestamp
//   user, item  raw u64 ids;  weight  f32 (1 unless the split says otherwise);
//   timestamp   i64: seconds when the source has them, else the row's index in the
//               concatenation of its side's source files (so file order survives);
//   rows sorted by (user, timestamp), stable (ties keep file order).
//
// Split formats (SplitSpec::format):
//   tmall      "user item" per line (whitespace), no timestamps (row index instead);
//   movielens  "user \t item \t rating \t unix_time"; rows with rating < min_rating skipped;
//   taobao     "user,item,category,behavior,unix_time" (UserBehavior); every row counts;
//   csv        "user,item[,weight[,timestamp]]", optional header line.
// Two modes: train files + test files (each side the concatenation of its files), or one
// input whose last `holdout_last` rows per user (by timestamp, ties by file order) are the
// test side; users with <= holdout_last rows stay entirely in train (counted).
// Bad rows (too few fields, non-numeric id/weight/time) are skipped and counted; the first
// few messages name file:line:field. With `strict` the first bad row throws kParse.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace reco {

struct Interaction {
  uint64_t user = 0;
  uint64_t item = 0;
  float weight = 1.0f;
  int64_t timestamp = 0;
};

/// Stable sort by (user, timestamp): the order every interactions file is written in.
void sort_interactions(std::vector<Interaction>& rows);

/// Reads an interactions CSV (header optional; 2..4 fields: missing weight = 1, missing
/// timestamp = row index). Strict: a malformed row throws kParse naming file:line:field.
/// The rows are returned sorted (sort_interactions).
std::vector<Interaction> read_interactions(const std::string& path);

/// Writes rows (in the given order) atomically with the header above.
void write_interactions(const std::string& path, std::span<const Interaction> rows);

/// Distinct users / items of a row set.
struct InteractionCounts {
  uint64_t rows = 0, users = 0, items = 0;
  nlohmann::json to_json() const;
};
InteractionCounts count_interactions(std::span<const Interaction> rows);

enum class SplitFormat { kTmall, kMovielens, kTaobao, kCsv };
/// "tmall" | "movielens" | "taobao" | "csv"; throws kInvalidArgument otherwise.
SplitFormat parse_split_format(const std::string& name);

struct SplitSpec {
  SplitFormat format = SplitFormat::kCsv;
  std::vector<std::string> train_files, test_files;  ///< train/test mode
  std::string input;                                 ///< or holdout mode
  uint32_t holdout_last = 1;
  double min_rating = 0.0;  ///< movielens only
  bool strict = false;
};

/// Per source file: what happened to its lines.
struct SplitFileReport {
  std::string path;
  std::string side;  ///< "train" | "test" | "input"
  uint64_t lines = 0, rows = 0, header = 0, blank = 0, bad = 0, below_min_rating = 0;
  nlohmann::json to_json() const;
};

struct SplitReport {
  std::vector<SplitFileReport> files;
  std::vector<std::string> errors;  ///< first messages of bad rows (file:line:field: ...)
  uint64_t users_train_only = 0;    ///< holdout mode: users with <= holdout_last rows
  InteractionCounts train, test;
  uint64_t bad_rows() const;
  nlohmann::json to_json() const;
};

struct SplitResult {
  std::vector<Interaction> train, test;  ///< both sorted
  SplitReport report;
};

SplitResult split_interactions(const SplitSpec& spec);

}  // namespace reco
