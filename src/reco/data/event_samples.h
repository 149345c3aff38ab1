// Event samples — ranking training rows from an impression-level event log (data/event_log.h):
// one row per logged impression, the log's engagement types as labels, the request as the
// ranking group, the position kept for position-bias handling, and features joined in.
//
// Joins (each optional):
//   items / users  attribute tables (CSV with a header; the first column is the item / user id).
//                  Columns become item_<name> / user_<name> (a name already starting with the
//                  prefix keeps it). A column named in `categorical` is stored as ids
//                  (vocabulary); any other must be numeric (empty = missing: stored as the
//                  column mean after z-scoring, counted) and becomes a z-scored dense feature.
//                  Categorical item attributes are also looked up for the request's query item
//                  (query_<name>, id 0 without a query), and 0/1 match features are added where
//                  both sides exist: match_query_<name> (query item vs item) and
//                  match_user_<name> (user_<name> or user_top_<name> vs item_<name>).
//   row features   CSVs row-aligned with the events (same row count, header first; e.g.
//                  `reco memboost features`): numeric columns, stored as dense features
//                  (log1p when the column is never negative, else z-scored).
//   truth          the simulator's truth.csv, row-aligned: every column except request_id,
//                  item_id and position is stored as a label column true_<name> — never a
//                  feature unless named; used to evaluate against the true relevance.
//
// Columns written: request_id (query_id: requests numbered in log order), user_id / item_id
// (identity ids), query_item_id (categorical: original id + 1, 0 = no query item), position
// (position role, i32), timestamp (i64), platform / locale / policy (categorical vocabularies),
// random_slice (dense 0/1, unnormalized: 1 on rows whose policy is `random_policy`, the
// unbiased slice), sample_weight (weight role), the engagement labels (f32 0/1), then the joins.
//
// Split by time in whole UTC days ending at the midnight after the last event: rows in the
// last `test_days` days are test, the `validation_days` before them validation, the rest
// train. Negative downsampling recorded in the log (alpha < 1 on rows) is written to meta.extra.downsampling with a per-label effective
// alpha (kept negatives / sample-weighted negatives) and the parts that contain such rows, so
// calibrate/downsampling.h corrects each head.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/core/context.h"

namespace reco {

struct EventSampleOptions {
  std::string events;
  std::string truth;
  std::string items;
  std::string users;
  std::vector<std::string> row_features;
  std::vector<std::string> categorical = {"category", "locale", "top_category", "platform"};
  double validation_days = 1.0;
  double test_days = 1.0;
  std::string random_policy = "random";
  nlohmann::json to_json() const;
};

struct EventSampleReport {
  uint64_t rows = 0;
  uint64_t requests = 0;
  uint64_t train = 0, validation = 0, test = 0;
  uint64_t random_slice_rows = 0;
  uint64_t unknown_items = 0;      ///< impressions whose item is not in the items table
  uint64_t unknown_users = 0;
  uint64_t missing_values = 0;     ///< empty numeric attribute cells (stored as the mean)
  std::vector<std::string> labels;
  std::vector<std::string> features;  ///< feature columns written (not ids/labels)
  double seconds = 0.0;
  nlohmann::json downsampling;     ///< as written to meta.extra (null without downsampling)
  nlohmann::json to_json() const;
};

EventSampleReport build_event_samples(const EventSampleOptions& options, const std::string& out_path,
                                      const RunContext& ctx);

/// Start of the last `days` whole UTC days of a log whose last event is at `last` (the days end
/// at the midnight after `last`): rows with timestamp >= this are held out. The samples split and
/// `reco memboost features --cold-holdout-days` both cut here, so they agree on the train part.
double holdout_from(int64_t last, double days);

}  // namespace reco
