// Incremental update of a MemboostStore from an event log: resumes at the store's cursor, groups
// whole requests into batches of about `batch_rows` rows, merges each batch's impressions per
// (query, result) and applies it as one durable, atomic store write (memboost_store.h).
//
// Resume rule: the store remembers how many rows of the log it has applied and the request id of
// the last one; update() skips that many rows and checks the request id matches (a different log
// is an error, not a silent double count). Logs are append-only: rows are only ever added at the end.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "reco/core/context.h"
#include "reco/memboost/memboost_store.h"
#include "reco/memboost/position_priors.h"

namespace reco::memboost {

struct UpdateOptions {
  uint64_t batch_rows = 100000;  ///< rows per batch (a batch never splits a request)
  /// Called after each batch is durable (acknowledged), with the store's new cursor.
  std::function<void(const StoreCursor&)> on_batch;
};

struct UpdateReport {
  uint64_t rows_skipped = 0;  ///< already applied before this run
  uint64_t rows_applied = 0;  ///< applied by this run
  uint64_t batches = 0;
  uint64_t pairs_touched = 0; ///< Σ over batches of distinct pairs in the batch
  StoreCursor cursor;         ///< after the run
  double seconds = 0;
};

UpdateReport update_store(MemboostStore& store, const std::string& events_path, const PositionPriors& priors,
                          const UpdateOptions& opt, const RunContext& ctx);

}  // namespace reco::memboost
