#include "reco/data/engagement_samples.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <span>
#include <utility>

#include "reco/core/error.h"
#include "reco/core/parallel_for.h"
#include "reco/core/rng.h"
#include "reco/data/downsample.h"
#include "reco/features/dense_stats.h"
#include "reco/features/hashing.h"
#include "reco/features/normalizer.h"

namespace reco {

namespace {

// Purpose tags for derive_seed: one independent stream per decision kind.
constexpr uint64_t kSplitTag = 0x5B117;
constexpr uint64_t kNegativeTag = 0xE6A9;
constexpr uint64_t kKeepTag = 0xD0517;
constexpr uint32_t kNoCategory = std::numeric_limits<uint32_t>::max();
constexpr const char* kPartNames[3] = {"train", "validation", "test"};

uint64_t row_key(uint32_t user, uint32_t item) { return (uint64_t{user} << 32) | item; }

// The part of a key: u = hash(seed, key) in [0,1) against the cumulative fractions.
uint8_t part_of(uint64_t key, uint64_t seed, double train, double validation) {
  const double u = static_cast<double>(hash_u64(key, seed) >> 11) * 0x1.0p-53;
  if (u < train) return 0;
  if (u < train + validation) return 1;
  return 2;
}

std::span<const uint32_t> id_column(const Dataset& ds, const std::string& name, const char* what) {
  if (!ds.has(name)) {
    RECO_THROW(ErrorCode::kNotFound) << ds.path() << ": no " << what << " column '" << name
                                     << "' (engagement samples need user, item and category id columns)";
  }
  const ColumnInfo& info = ds.column(name);
  if (info.storage != ColumnStorage::kU32) {
    RECO_THROW(ErrorCode::kInvalidArgument)
        << ds.path() << ": " << what << " column '" << name << "' is stored as "
        << column_storage_name(info.storage) << ", expected u32 ids";
  }
  return ds.u32(name);
}

// Number of distinct ids a column may hold: its cardinality, widened by the data if needed
// (a dataset opened without id validation).
size_t id_space(const Dataset& ds, const std::string& name, std::span<const uint32_t> ids) {
  size_t n = ds.column(name).cardinality;
  for (uint32_t id : ids) n = std::max<size_t>(n, size_t{id} + 1);
  return n;
}

// The event log regrouped for per-user work. Built once, read-only afterwards.
struct EventIndex {
  std::span<const uint32_t> users, items, categories;
  std::vector<std::span<const float>> labels;
  std::vector<uint32_t> item_category;     // [item space] category of the item's first event
  std::vector<uint64_t> category_offsets;  // [category space + 1]
  std::vector<uint32_t> category_items;    // items of category c, ascending, at offsets[c..c+1)
  std::vector<uint64_t> user_offsets;      // [user space + 1]
  std::vector<uint32_t> user_rows;         // event rows of user u, ascending, at offsets[u..u+1)

  std::span<const uint32_t> pool(uint32_t category) const {
    return std::span<const uint32_t>(category_items)
        .subspan(category_offsets[category], category_offsets[category + 1] - category_offsets[category]);
  }
};

// Counting sort of `keys` into CSR form: offsets[k..k+1) of `out` hold the positions whose
// key is k, ascending.
template <typename Index>
void group_by(std::span<const uint32_t> keys, size_t key_space, const std::vector<bool>* include,
              std::vector<uint64_t>& offsets, std::vector<Index>& out) {
  offsets.assign(key_space + 1, 0);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (include == nullptr || (*include)[i]) ++offsets[size_t{keys[i]} + 1];
  }
  for (size_t k = 0; k < key_space; ++k) offsets[k + 1] += offsets[k];
  out.assign(offsets[key_space], 0);
  std::vector<uint64_t> cursor(offsets.begin(), offsets.end() - 1);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (include == nullptr || (*include)[i]) out[cursor[keys[i]]++] = static_cast<Index>(i);
  }
}

EventIndex index_events(const Dataset& events, const EngagementSampleOptions& o) {
  EventIndex ix;
  ix.users = id_column(events, o.user_column, "user");
  ix.items = id_column(events, o.item_column, "item");
  ix.categories = id_column(events, o.category_column, "category");
  for (const std::string& label : events.labels()) ix.labels.push_back(events.f32(label));
  if (ix.labels.empty()) {
    RECO_THROW(ErrorCode::kNotFound) << events.path()
                                     << ": no label column (engagement samples need at least one 0/1 label)";
  }
  RECO_CHECK(events.rows() < std::numeric_limits<uint32_t>::max())
      << events.path() << ": " << events.rows() << " events, more than 2^32 - 1 are not supported";
  const size_t user_space = id_space(events, o.user_column, ix.users);
  const size_t item_space = id_space(events, o.item_column, ix.items);
  const size_t category_space = id_space(events, o.category_column, ix.categories);

  ix.item_category.assign(item_space, kNoCategory);
  for (size_t r = 0; r < ix.items.size(); ++r) {
    if (ix.item_category[ix.items[r]] == kNoCategory) ix.item_category[ix.items[r]] = ix.categories[r];
  }
  // Category -> items: group the item ids (positions in item_category) by their category.
  std::vector<bool> seen(item_space);
  for (size_t i = 0; i < item_space; ++i) seen[i] = ix.item_category[i] != kNoCategory;
  std::vector<uint32_t> cat_of_item(item_space);
  for (size_t i = 0; i < item_space; ++i) cat_of_item[i] = seen[i] ? ix.item_category[i] : 0;
  group_by<uint32_t>(cat_of_item, category_space, &seen, ix.category_offsets, ix.category_items);
  group_by<uint32_t>(ix.users, user_space, nullptr, ix.user_offsets, ix.user_rows);
  return ix;
}

// Appends to `out` (ascending) `want` distinct items of `pool` that are not in `touched`,
// drawn uniformly. pool and touched are ascending and touched is a subset of pool.
void sample_untouched(std::span<const uint32_t> pool, std::span<const uint32_t> touched, size_t want,
                      Rng& rng, std::vector<uint32_t>& out) {
  const size_t free_count = pool.size() - touched.size();
  want = std::min(want, free_count);
  if (want == 0) return;
  const size_t start = out.size();
  if (want == free_count) {
    std::set_difference(pool.begin(), pool.end(), touched.begin(), touched.end(), std::back_inserter(out));
    return;
  }
  if (free_count * 8 >= pool.size() && want * 2 <= free_count) {
    // Rejection: a draw is accepted with probability >= 1/16, and no O(pool) copy is made
    // (categories can hold millions of items while K is small).
    while (out.size() - start < want) {
      const uint32_t item = pool[rng.below(pool.size())];
      if (std::binary_search(touched.begin(), touched.end(), item)) continue;
      if (std::find(out.begin() + static_cast<std::ptrdiff_t>(start), out.end(), item) != out.end()) continue;
      out.push_back(item);
    }
  } else {
    // Few free items relative to the pool or to K: partial Fisher-Yates over the free list.
    std::vector<uint32_t> free;
    free.reserve(free_count);
    std::set_difference(pool.begin(), pool.end(), touched.begin(), touched.end(), std::back_inserter(free));
    for (size_t i = 0; i < want; ++i) {
      std::swap(free[i], free[i + rng.below(free_count - i)]);
      out.push_back(free[i]);
    }
  }
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(start), out.end());
}

// Rows of a contiguous range of users, before downsampling is applied (keep says which
// rows survive). Labels are row-major: labels[row * L + l].
struct Block {
  std::vector<uint32_t> user, item, category, own_events;
  std::vector<uint8_t> part, labels, keep;
  uint64_t user_categories = 0, wanted = 0, drawn = 0, short_categories = 0;
};

struct Seeds {
  uint64_t split, negative, keep;
};

void add_row(Block& b, uint32_t user, uint32_t item, uint32_t category, uint32_t own_events,
             const EngagementSampleOptions& o, const Seeds& seeds) {
  const uint64_t key = row_key(user, item);
  b.user.push_back(user);
  b.item.push_back(item);
  b.category.push_back(category);
  b.own_events.push_back(own_events);
  b.part.push_back(part_of(key, seeds.split, o.train, o.validation));
  b.keep.push_back(1);
}

// Decides the keep flag of the last row once its labels are in place.
void decide_keep(Block& b, size_t label_count, double alpha, uint64_t seed) {
  const size_t row = b.user.size() - 1;
  if (b.part[row] != 0) return;
  const uint8_t* y = b.labels.data() + row * label_count;
  if (std::any_of(y, y + label_count, [](uint8_t v) { return v != 0; })) return;
  b.keep[row] = keep_negative(row_key(b.user[row], b.item[row]), alpha, seed) ? 1 : 0;
}

void build_user(uint32_t user, const EventIndex& ix, const EngagementSampleOptions& o, const Seeds& seeds,
                Block& b) {
  const size_t label_count = ix.labels.size();
  const uint64_t begin = ix.user_offsets[user], end = ix.user_offsets[size_t{user} + 1];
  if (begin == end) return;
  // (item, event row), sorted: equal items are adjacent.
  std::vector<std::pair<uint32_t, uint32_t>> events;
  events.reserve(end - begin);
  for (uint64_t k = begin; k < end; ++k) events.emplace_back(ix.items[ix.user_rows[k]], ix.user_rows[k]);
  std::sort(events.begin(), events.end());

  std::vector<std::pair<uint32_t, uint32_t>> touched;  // (category, item)
  for (size_t s = 0; s < events.size();) {
    size_t e = s;
    const uint32_t item = events[s].first;
    while (e < events.size() && events[e].first == item) ++e;
    const uint32_t category = ix.item_category[item];
    add_row(b, user, item, category, static_cast<uint32_t>(e - s), o, seeds);
    const size_t base = b.labels.size();
    b.labels.resize(base + label_count, 0);
    for (size_t k = s; k < e; ++k) {
      for (size_t l = 0; l < label_count; ++l) {
        if (ix.labels[l][events[k].second] > 0.5f) b.labels[base + l] = 1;  // NaN compares false
      }
    }
    decide_keep(b, label_count, o.alpha, seeds.keep);
    touched.emplace_back(category, item);
    s = e;
  }

  std::sort(touched.begin(), touched.end());
  std::vector<uint32_t> touched_items, drawn;
  const size_t k_wanted = o.negatives_per_user_category;
  for (size_t s = 0; s < touched.size();) {
    const uint32_t category = touched[s].first;
    touched_items.clear();
    while (s < touched.size() && touched[s].first == category) touched_items.push_back(touched[s++].second);
    ++b.user_categories;
    b.wanted += k_wanted;
    drawn.clear();
    Rng rng(derive_seed(seeds.negative, row_key(user, category)));
    sample_untouched(ix.pool(category), touched_items, k_wanted, rng, drawn);
    b.drawn += drawn.size();
    if (drawn.size() < k_wanted) ++b.short_categories;
    for (uint32_t item : drawn) {
      add_row(b, user, item, category, 0, o, seeds);
      b.labels.resize(b.labels.size() + label_count, 0);
      decide_keep(b, label_count, o.alpha, seeds.keep);
    }
  }
}

void add_dense(DatasetWriter& writer, const std::string& name, std::vector<float> raw, const std::string& what) {
  const DenseStats stats = DenseStats::compute(raw);
  const Normalizer norm = Normalizer::fit(NormalizerKind::kLog1p, stats);
  norm.apply(raw, raw);
  ColumnInfo info;
  info.name = name;
  info.role = ColumnRole::kDense;
  info.details["stats"] = stats.to_json();
  info.details["normalizer"] = norm.to_json();
  info.details["source"] = what;
  writer.add_f32(std::move(info), raw);
}

void add_id_column(DatasetWriter& writer, const Dataset& events, const std::string& name,
                   const std::vector<uint32_t>& values) {
  writer.add_u32(events.column(name), values);
  if (events.has_vocabulary(name)) writer.add_vocabulary(name, events.vocabulary(name));
}

}  // namespace

void EngagementSampleOptions::validate() const {
  check_downsample_alpha(alpha);
  for (double f : {train, validation, test}) {
    RECO_CHECK(f >= 0.0 && f <= 1.0) << "engagement samples: split fractions must be in [0, 1], got " << train
                                     << "," << validation << "," << test;
  }
  RECO_CHECK(std::abs(train + validation + test - 1.0) <= 1e-6)
      << "engagement samples: split fractions must sum to 1, got " << train << "," << validation << "," << test;
  RECO_CHECK(!user_column.empty() && !item_column.empty() && !category_column.empty())
      << "engagement samples: user, item and category column names must not be empty";
}

nlohmann::json EngagementSampleOptions::to_json() const {
  return {{"negatives_per_user_category", negatives_per_user_category},
          {"alpha", alpha},
          {"split", {{"train", train}, {"validation", validation}, {"test", test}}},
          {"user_column", user_column},
          {"item_column", item_column},
          {"category_column", category_column}};
}

double EngagementLabelCounts::effective_alpha() const {
  if (train_negatives_seen == 0) return 1.0;
  return static_cast<double>(train_negatives_kept) / static_cast<double>(train_negatives_seen);
}

nlohmann::json EngagementSampleReport::to_json() const {
  nlohmann::json parts_seen, parts_written;
  for (int p = 0; p < 3; ++p) {
    parts_seen[kPartNames[p]] = rows_seen[p];
    parts_written[kPartNames[p]] = rows_written[p];
  }
  nlohmann::json labels_json = nlohmann::json::object();
  for (const auto& l : labels) {
    labels_json[l.name] = {{"positives",
                            {{"train", l.positives[0]}, {"validation", l.positives[1]}, {"test", l.positives[2]}}}};
  }
  return {{"events", events},
          {"users", users},
          {"items", items},
          {"categories", categories},
          {"touched_pairs", touched_pairs},
          {"user_categories", user_categories},
          {"negatives_wanted", negatives_wanted},
          {"negatives_drawn", negatives_drawn},
          {"negatives_shortfall", negatives_shortfall},
          {"short_user_categories", short_user_categories},
          {"rows_seen", parts_seen},
          {"rows_written", parts_written},
          {"rows", rows()},
          {"labels", labels_json}};
}

nlohmann::json EngagementSampleReport::downsampling_json(double alpha) const {
  nlohmann::json per_label = nlohmann::json::object();
  for (const auto& l : labels) {
    per_label[l.name] = {
        {"alpha", l.effective_alpha()}, {"seen", l.train_negatives_seen}, {"kept", l.train_negatives_kept}};
  }
  return {{"alpha", alpha},
          {"label", ""},
          {"seen", train_negatives_seen},
          {"kept", train_negatives_kept},
          {"parts", nlohmann::json::array({"train"})},
          {"per_label", per_label}};
}

EngagementSampleReport build_engagement_samples(const Dataset& events, const std::string& out_path,
                                                const EngagementSampleOptions& options, const RunContext& ctx) {
  const auto t0 = std::chrono::steady_clock::now();
  options.validate();
  const EventIndex ix = index_events(events, options);
  const std::vector<std::string> label_names = events.labels();
  const size_t label_count = label_names.size();
  const Seeds seeds{derive_seed(ctx.seed, kSplitTag), derive_seed(ctx.seed, kNegativeTag),
                    derive_seed(ctx.seed, kKeepTag)};

  // Rows per block of users; each user's rows depend only on (seed, user), so the
  // concatenation in block order is the same for any block count.
  const size_t user_space = ix.user_offsets.size() - 1;
  const int threads = std::max(1, ctx.threads);
  const size_t block_count = std::max<size_t>(1, std::min<size_t>(user_space, size_t(threads) * 16));
  std::vector<Block> blocks(block_count);
  parallel_tasks(threads, block_count, [&](size_t bi, int /*worker*/) {
    const size_t ub = user_space * bi / block_count, ue = user_space * (bi + 1) / block_count;
    for (size_t u = ub; u < ue; ++u) build_user(static_cast<uint32_t>(u), ix, options, seeds, blocks[bi]);
  });

  EngagementSampleReport report;
  report.events = events.rows();
  for (size_t u = 0; u < user_space; ++u) report.users += ix.user_offsets[u + 1] > ix.user_offsets[u] ? 1 : 0;
  report.items = ix.category_items.size();
  for (size_t c = 0; c + 1 < ix.category_offsets.size(); ++c) {
    report.categories += ix.category_offsets[c + 1] > ix.category_offsets[c] ? 1 : 0;
  }
  report.labels.resize(label_count);
  for (size_t l = 0; l < label_count; ++l) report.labels[l].name = label_names[l];

  // Train-part event counts (dense features) and downsampling/label counts.
  std::vector<uint64_t> user_train(user_space, 0), item_train(ix.item_category.size(), 0);
  uint64_t written = 0;
  for (const Block& b : blocks) {
    report.user_categories += b.user_categories;
    report.negatives_wanted += b.wanted;
    report.negatives_drawn += b.drawn;
    report.short_user_categories += b.short_categories;
    for (size_t r = 0; r < b.user.size(); ++r) {
      const uint8_t part = b.part[r];
      if (b.own_events[r] > 0) {
        ++report.touched_pairs;
        if (part == 0) {
          user_train[b.user[r]] += b.own_events[r];
          item_train[b.item[r]] += b.own_events[r];
        }
      }
      ++report.rows_seen[part];
      written += b.keep[r];
      const uint8_t* y = b.labels.data() + r * label_count;
      if (part == 0) {
        bool any = false;
        for (size_t l = 0; l < label_count; ++l) {
          if (y[l] != 0) {
            any = true;
            continue;
          }
          ++report.labels[l].train_negatives_seen;
          report.labels[l].train_negatives_kept += b.keep[r];
        }
        if (!any) {
          ++report.train_negatives_seen;
          report.train_negatives_kept += b.keep[r];
        }
      }
    }
  }
  report.negatives_shortfall = report.negatives_wanted - report.negatives_drawn;
  if (written == 0) {
    RECO_THROW(ErrorCode::kInvalidArgument) << events.path() << ": no engagement sample rows to write ("
                                            << report.events << " events)";
  }

  std::vector<uint32_t> users, items, categories;
  std::vector<uint8_t> split;
  std::vector<std::vector<float>> labels(label_count);
  std::vector<float> user_events, item_events;
  users.reserve(written);
  items.reserve(written);
  categories.reserve(written);
  split.reserve(written);
  for (auto& l : labels) l.reserve(written);
  user_events.reserve(written);
  item_events.reserve(written);
  for (const Block& b : blocks) {
    for (size_t r = 0; r < b.user.size(); ++r) {
      if (!b.keep[r]) continue;
      const uint8_t part = b.part[r];
      const uint64_t own = part == 0 ? b.own_events[r] : 0;  // held-out events are not in the counts
      users.push_back(b.user[r]);
      items.push_back(b.item[r]);
      categories.push_back(b.category[r]);
      split.push_back(part);
      ++report.rows_written[part];
      for (size_t l = 0; l < label_count; ++l) {
        const uint8_t y = b.labels[r * label_count + l];
        labels[l].push_back(static_cast<float>(y));
        report.labels[l].positives[part] += y;
      }
      user_events.push_back(static_cast<float>(user_train[b.user[r]] - own));
      item_events.push_back(static_cast<float>(item_train[b.item[r]] - own));
    }
  }
  blocks.clear();

  DatasetWriter writer(out_path);
  writer.set_rows(written);
  add_id_column(writer, events, options.user_column, users);
  add_id_column(writer, events, options.item_column, items);
  add_id_column(writer, events, options.category_column, categories);
  for (size_t l = 0; l < label_count; ++l) {
    ColumnInfo info = events.column(label_names[l]);
    info.details["source"] = "engagement: any event of the pair with " + label_names[l] + " > 0.5";
    writer.add_f32(std::move(info), labels[l]);
  }
  add_dense(writer, "user_log_events", std::move(user_events),
            "events of the user in train-part pairs, minus this row's own");
  add_dense(writer, "item_log_events", std::move(item_events),
            "events on the item in train-part pairs, minus this row's own");
  writer.set_split(split);

  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json extra;
  extra["sample_kind"] = "engagement";
  extra["sources"] = nlohmann::json::array({events.path()});
  extra["event_sources"] = events.extra().value("sources", nlohmann::json::array());
  extra["options"] = options.to_json();
  extra["report"] = report.to_json();
  extra["downsampling"] = report.downsampling_json(options.alpha);
  extra["split"] = "pair-hash:" + nlohmann::json(options.train).dump() + "," +
                   nlohmann::json(options.validation).dump() + "," + nlohmann::json(options.test).dump();
  extra["seed"] = ctx.seed;
  writer.set_extra(std::move(extra));
  writer.commit();
  return report;
}

}  // namespace reco
