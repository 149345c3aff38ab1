// Engagement samples: per-(user, item) multi-label training rows built from an event log
// (e.g. Taobao UserBehavior ingested with the "taobao" preset: one row per event with
// user_id, item_id, category_id and 0/1 labels pv/fav/cart/buy).
//
// Rows (one per (user, item) key, never two with the same key):
//   - touched pairs: one row per (user, item) the user had any event on; label L = 1 if
//     any of the pair's events has L > 0.5 (NaN counts as 0). Label names are the event
//     dataset's label columns, in order (nothing assumes four).
//   - impressions without engagement: for each (user, category) the user touched, up to
//     K = negatives_per_user_category distinct items of that category the user never
//     touched, uniform over the category's items seen in the log; all labels 0. A category
//     with fewer than K untouched items gives them all (the shortfall is counted).
//   Every item has ONE category: the category of its first event in the log (row order),
//   so a user's negatives are distinct across categories and a row's category_id is the
//   item's category. Ids (0 = OOV included) are taken as the event dataset stores them.
//
// Split (decided before downsampling): part = f(hash(seed, user id, item id)) with the
// train/validation/test fractions. A per-key hash rather than a time split: sampled
// negatives have no time, and a per-key split gives held-out parts with the same
// distribution as train, which is what checking calibration against true rates needs.
//
// Negative downsampling: a row whose labels are all 0 is kept with probability alpha,
// in the TRAIN part only; the decision is keep_negative(key, alpha, seed) (downsample.h)
// with key = (user << 32) | item, a pure function of (seed, row key). Validation and test
// keep every row, so they hold the true label rates.
//
// Why an effective alpha per label: calibrate_downsampled(q, alpha) undoes a sampling that
// kept the head's positives with rate 1 and its negatives with rate alpha. For head L the
// negatives are all rows with L = 0, and those include rows positive on another label (a
// "pv"-only row is negative for "buy") which are never dropped. So head L's negatives were
// kept at alpha_L = kept_L / seen_L (train rows with L = 0 after / before downsampling),
// which lies between alpha and 1 and differs per head. extra.downsampling.per_label holds
// it; calibrate reads per_label[L].alpha. (alpha_L is the average keep rate of L's
// negatives; the correction is exact in aggregate, not per feature value.)
//
// Dense features (raw counts stored through a log1p Normalizer, details like ingest):
//   user_log_events  events of the user in TRAIN-part pairs, minus this row's own events
//   item_log_events  events on the item in TRAIN-part pairs, minus this row's own events
// "Minus own events" makes the definition identical for train rows and held-out rows
// (whose own events are never in train), so a positive train row cannot see itself.
//
// Output columns: user_id, item_id, category_id (ColumnInfo and vocabulary copied from the
// event dataset, ids unchanged, so they stay decodable), the label columns (f32 0/1),
// user_log_events, item_log_events (f32); split section; meta.extra (see build_engagement_samples below).
// Row order: users by ascending id; within a user, touched items by ascending id, then the
// negatives by ascending category, then item id. Identical for any thread count.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/core/context.h"
#include "reco/data/dataset.h"

namespace reco {

struct EngagementSampleOptions {
  uint32_t negatives_per_user_category = 4;  ///< K (0 = no sampled negatives)
  double alpha = 0.25;                       ///< keep rate of all-zero TRAIN rows, in (0, 1]
  double train = 0.8;                        ///< split fractions, each in [0, 1], sum 1
  double validation = 0.1;
  double test = 0.1;
  std::string user_column = "user_id";
  std::string item_column = "item_id";
  std::string category_column = "category_id";

  /// Throws kInvalidArgument naming the option.
  void validate() const;
  nlohmann::json to_json() const;
};

/// Counts of one label over the written rows.
struct EngagementLabelCounts {
  std::string name;
  std::array<uint64_t, 3> positives{};  ///< rows with label 1 per part (train, validation, test)
  uint64_t train_negatives_seen = 0;    ///< train rows with label 0 before downsampling
  uint64_t train_negatives_kept = 0;    ///< ... of which written
  /// kept / seen: the rate head `name`'s negatives were kept at (1 when none were seen).
  double effective_alpha() const;
};

struct EngagementSampleReport {
  uint64_t events = 0;
  uint64_t users = 0;       ///< users with at least one event
  uint64_t items = 0;       ///< items with at least one event
  uint64_t categories = 0;  ///< categories of at least one item
  uint64_t touched_pairs = 0;               ///< rows from touched pairs (before downsampling)
  uint64_t user_categories = 0;             ///< (user, category) pairs touched
  uint64_t negatives_wanted = 0;            ///< user_categories * K
  uint64_t negatives_drawn = 0;             ///< sampled negative rows (before downsampling)
  uint64_t negatives_shortfall = 0;         ///< wanted - drawn
  uint64_t short_user_categories = 0;       ///< (user, category) with fewer than K drawn
  std::array<uint64_t, 3> rows_seen{};      ///< rows per part before downsampling
  std::array<uint64_t, 3> rows_written{};   ///< rows per part written
  uint64_t train_negatives_seen = 0;        ///< all-zero train rows before downsampling
  uint64_t train_negatives_kept = 0;
  std::vector<EngagementLabelCounts> labels;
  double seconds = 0;  ///< wall time (not in to_json: the file stays byte-identical across runs)

  uint64_t rows() const { return rows_written[0] + rows_written[1] + rows_written[2]; }
  nlohmann::json to_json() const;
  /// {"alpha", "label": "", "seen", "kept", "per_label": {"<label>": {"alpha","seen","kept"}}}
  nlohmann::json downsampling_json(double alpha) const;
};

/// Builds the sample dataset from `events` and writes it to `out_path` (atomically).
/// Uses ctx.seed (split, negative draws, downsampling) and ctx.threads; the output is
/// byte-identical for a fixed seed whatever the thread count.
/// meta.extra: {"sample_kind":"engagement", "sources":[events path], "event_sources":
/// events' extra.sources, "options", "report", "downsampling", "split":"pair-hash:T,V,E",
/// "seed"}.
/// Errors: kNotFound / kInvalidArgument naming the events path and the missing or
/// mistyped column (user/item/category must be u32, at least one label column).
EngagementSampleReport build_engagement_samples(const Dataset& events, const std::string& out_path,
                                                const EngagementSampleOptions& options,
                                                const RunContext& ctx);

}  // namespace reco
