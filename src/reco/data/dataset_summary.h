// Dataset summary: what `reco inspect` and `reco quickstart` print about a dataset file —
// schema, row count, split sizes, label rates (overall and per split), column statistics.
//
// JSON shape (stable; `reco inspect --json`):
//   {"path", "kind":"dataset", "format_version", "rows", "file_bytes",
//    "split": {"train":n, "validation":n, "test":n} | null,
//    "labels": [{"name", "count", "missing", "positives", "rate", "mean",
//                "by_split": {"train": {"count","rate"}, ...}}],
//    "columns": [{"name", "role", "storage", "cardinality", "encoding",
//                 "distinct": n (u32 / multi-hot: ids actually used), "nnz_per_row" (multi-hot),
//                 "min","max" (i32/i64), "stats": {...} (dense: raw statistics at ingestion),
//                 "normalizer": {...}}],
//    "extra": {...}   // as written by the producer (source files, ingest report, downsampling)
//   }
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "reco/core/context.h"
#include "reco/data/dataset.h"

namespace reco {

/// Computes the summary; scans every column once (in parallel over columns with ctx.threads).
nlohmann::json summarize_dataset(const Dataset& dataset, const RunContext& ctx);

/// Human-readable rendering of summarize_dataset's JSON (several aligned tables).
std::string format_dataset_summary(const nlohmann::json& summary);

}  // namespace reco
