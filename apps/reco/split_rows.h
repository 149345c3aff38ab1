// Row selection by split for the learning subcommands (train / eval / predict).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reco/core/error.h"
#include "reco/data/dataset.h"

namespace reco::cli {

/// "train" | "validation" | "test" | "all". A dataset without a split has only "all";
/// asking it for another split is an error naming the file.
inline std::vector<uint64_t> rows_of_split(const Dataset& ds, std::string_view split) {
  std::vector<uint64_t> rows;
  if (split == "all") {
    rows.resize(ds.rows());
    for (uint64_t i = 0; i < ds.rows(); ++i) rows[i] = i;
    return rows;
  }
  uint8_t code = 0;
  if (split == "train") code = 0;
  else if (split == "validation") code = 1;
  else if (split == "test") code = 2;
  else RECO_THROW(ErrorCode::kInvalidArgument) << "unknown split '" << split << "' (expected train, validation, test, all)";
  const auto s = ds.split();
  RECO_CHECK(!s.empty()) << ds.path() << " has no split (re-ingest with --split, or use --split all)";
  for (uint64_t i = 0; i < s.size(); ++i)
    if (s[i] == code) rows.push_back(i);
  return rows;
}

/// The split a scoring command reads when none is given: "test" when the dataset has test
/// rows, else "all". A given split is returned as is.
inline std::string default_eval_split(const Dataset& ds, const std::string& given) {
  if (!given.empty()) return given;
  for (uint8_t s : ds.split())
    if (s == 2) return "test";
  return "all";
}

}  // namespace reco::cli
