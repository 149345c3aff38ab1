// build_engagement_samples on event logs ingested through the taobao preset: labels per
// pair, negatives from the same category and never touched, downsampling only in train at
// about alpha, per-label effective alphas equal to the counts, leakage-free dense features,
// determinism across thread counts, errors naming the path and column.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "reco/data/dataset.h"
#include "reco/data/engagement_samples.h"
#include "reco/data/ingest.h"
#include "reco/data/presets.h"
#include "testing/testing.h"

namespace reco {
namespace {

using testing::TempDir;

const std::vector<std::string> kLabels = {"pv", "fav", "cart", "buy"};

Dataset ingest_csv(const TempDir& dir, const std::string& csv, const std::string& name) {
  testing::write_file(dir.file(name + ".csv"), csv);
  IngestOptions o;
  o.inputs = {dir.file(name + ".csv")};
  o.schema = preset_schema("taobao");
  o.schema_name = "taobao";
  o.output = dir.file(name + ".dataset");
  o.ctx.quiet = true;
  ingest(o);
  return Dataset::open(o.output);
}

// What the raw log says, keyed by id strings.
struct Log {
  std::map<std::pair<std::string, std::string>, std::vector<int>> pair_labels;  // (user, item) -> 0/1 per label
  std::map<std::pair<std::string, std::string>, int> pair_events;
  std::map<std::string, std::string> item_category;           // first event's category
  std::map<std::string, std::set<std::string>> category_items;
};

Log parse_log(const std::string& csv) {
  Log log;
  std::istringstream in(csv);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string x;
    while (std::getline(ss, x, ',')) f.push_back(x);
    auto key = std::make_pair(f[0], f[1]);
    auto& labels = log.pair_labels[key];
    labels.resize(kLabels.size(), 0);
    for (size_t l = 0; l < kLabels.size(); ++l) labels[l] |= f[3] == kLabels[l] ? 1 : 0;
    ++log.pair_events[key];
    if (!log.item_category.count(f[1])) {
      log.item_category[f[1]] = f[2];
      log.category_items[f[2]].insert(f[1]);
    }
  }
  return log;
}

struct Row {
  std::string user, item, category;
  std::vector<int> labels;
  int part = 0;
  float user_events = 0, item_events = 0;
};

std::vector<Row> read_rows(const Dataset& ds) {
  std::vector<Row> rows(ds.rows());
  auto users = ds.u32("user_id"), items = ds.u32("item_id"), cats = ds.u32("category_id");
  const auto& uv = ds.vocabulary("user_id");
  const auto& iv = ds.vocabulary("item_id");
  const auto& cv = ds.vocabulary("category_id");
  for (size_t r = 0; r < rows.size(); ++r) {
    rows[r].user = uv.token(users[r]);
    rows[r].item = iv.token(items[r]);
    rows[r].category = cv.token(cats[r]);
    for (const auto& l : kLabels) rows[r].labels.push_back(static_cast<int>(ds.f32(l)[r]));
    rows[r].part = ds.split()[r];
    rows[r].user_events = ds.f32("user_log_events")[r];
    rows[r].item_events = ds.f32("item_log_events")[r];
  }
  return rows;
}

bool all_zero(const Row& r) {
  for (int y : r.labels)
    if (y) return false;
  return true;
}

// A synthetic log: `users` users, 30 categories of 40 items (plus one 2-item category),
// mostly pv with some fav / cart / buy events.
std::string synthetic_log(int users, uint64_t seed) {
  Rng rng(seed);
  std::ostringstream out;
  long t = 1511544070;
  for (int u = 1; u <= users; ++u) {
    const int cats = 2 + static_cast<int>(rng.below(6));
    for (int c = 0; c < cats; ++c) {
      const int cat = static_cast<int>(rng.below(31));
      const int items = 1 + static_cast<int>(rng.below(5));
      for (int k = 0; k < items; ++k) {
        const int item = cat * 1000 + static_cast<int>(rng.below(cat == 30 ? 2 : 40));
        auto ev = [&](const char* b) { out << u << "," << item << "," << cat << "," << b << "," << t++ << "\n"; };
        if (rng.uniform() < 0.95) ev("pv");
        if (rng.uniform() < 0.3) ev("pv");
        if (rng.uniform() < 0.1) ev("fav");
        if (rng.uniform() < 0.15) ev("cart");
        if (rng.uniform() < 0.08) ev("buy");
      }
    }
  }
  return out.str();
}

constexpr const char* kTiny =
    "1,100,10,pv,1511544070\n"
    "1,100,10,cart,1511544080\n"
    "1,101,10,buy,1511544090\n"
    "1,200,20,pv,1511544100\n"
    "2,100,10,fav,1511544110\n"
    "2,300,30,pv,1511544120\n"
    "3,102,10,pv,1511544130\n"
    "3,103,10,pv,1511544140\n"
    "3,201,20,pv,1511544150\n"
    "3,104,10,pv,1511544160\n"
    "3,104,10,buy,1511544170\n";

// Checks every structural promise of the samples against the raw log (alpha == 1).
void check_against_log(const std::vector<Row>& rows, const Log& log, uint32_t k,
                       const EngagementSampleReport& report) {
  std::set<std::pair<std::string, std::string>> keys;
  std::map<std::pair<std::string, std::string>, size_t> negatives_per_uc;
  size_t touched_rows = 0;
  for (const Row& r : rows) {
    auto key = std::make_pair(r.user, r.item);
    EXPECT_TRUE(keys.insert(key).second) << "duplicate row " << r.user << "," << r.item;
    EXPECT_EQ(r.category, log.item_category.at(r.item));
    auto it = log.pair_labels.find(key);
    if (it != log.pair_labels.end()) {
      ++touched_rows;
      EXPECT_EQ(r.labels, it->second) << r.user << "," << r.item;
    } else {
      EXPECT_TRUE(all_zero(r));
      ++negatives_per_uc[{r.user, r.category}];
    }
  }
  EXPECT_EQ(touched_rows, log.pair_labels.size());
  EXPECT_EQ(report.touched_pairs, log.pair_labels.size());
  // Each touched (user, category) gets min(K, untouched items of the category) negatives,
  // and only touched (user, category) pairs get any.
  std::map<std::pair<std::string, std::string>, size_t> touched_in_uc;
  for (const auto& [key, labels] : log.pair_labels) ++touched_in_uc[{key.first, log.item_category.at(key.second)}];
  size_t wanted = 0, drawn = 0;
  for (const auto& [uc, touched] : touched_in_uc) {
    const size_t free = log.category_items.at(uc.second).size() - touched;
    const size_t expect = std::min<size_t>(k, free);
    EXPECT_EQ(negatives_per_uc.count(uc) ? negatives_per_uc[uc] : 0, expect) << uc.first << "/" << uc.second;
    wanted += k;
    drawn += expect;
  }
  for (const auto& [uc, n] : negatives_per_uc) EXPECT_TRUE(touched_in_uc.count(uc)) << uc.first << "/" << uc.second;
  EXPECT_EQ(report.user_categories, touched_in_uc.size());
  EXPECT_EQ(report.negatives_wanted, wanted);
  EXPECT_EQ(report.negatives_drawn, drawn);
  EXPECT_EQ(report.negatives_shortfall, wanted - drawn);
  EXPECT_EQ(report.rows(), rows.size());
}

TEST(EngagementSamples, TinyLogLabelsNegativesAndVocabularies) {
  TempDir dir;
  Dataset events = ingest_csv(dir, kTiny, "tiny");
  EngagementSampleOptions opt;
  opt.negatives_per_user_category = 2;
  opt.alpha = 1.0;
  RunContext ctx;
  auto report = build_engagement_samples(events, dir.file("s.dataset"), opt, ctx);
  Dataset ds = Dataset::open(dir.file("s.dataset"));
  EXPECT_EQ(ds.labels(), kLabels);
  EXPECT_EQ(ds.column("user_id").cardinality, events.column("user_id").cardinality);
  EXPECT_EQ(ds.column("user_id").role, ColumnRole::kUserId);
  EXPECT_EQ(ds.column("item_id").role, ColumnRole::kItemId);
  EXPECT_EQ(ds.column("category_id").role, ColumnRole::kCategorical);
  auto rows = read_rows(ds);
  check_against_log(rows, parse_log(kTiny), 2, report);
  // Category 30 has one item, touched by user 2: a full shortfall there.
  EXPECT_GE(report.short_user_categories, 1u);
  const auto& extra = ds.extra();
  EXPECT_EQ(extra["sample_kind"], "engagement");
  EXPECT_EQ(extra["sources"][0], events.path());
  EXPECT_EQ(extra["options"]["negatives_per_user_category"], 2);
  EXPECT_EQ(extra["downsampling"]["label"], "");
  for (const auto& l : kLabels) EXPECT_DOUBLE_EQ(extra["downsampling"]["per_label"][l]["alpha"].get<double>(), 1.0);
}

TEST(EngagementSamples, SyntheticLogStructure) {
  TempDir dir;
  const std::string csv = synthetic_log(150, 3);
  Dataset events = ingest_csv(dir, csv, "syn");
  EngagementSampleOptions opt;
  opt.alpha = 1.0;
  RunContext ctx;
  auto report = build_engagement_samples(events, dir.file("s.dataset"), opt, ctx);
  check_against_log(read_rows(Dataset::open(dir.file("s.dataset"))), parse_log(csv), opt.negatives_per_user_category,
                    report);
  EXPECT_GT(report.short_user_categories, 0u);  // the 2-item category
}

TEST(EngagementSamples, DownsamplingOnlyInTrainAtAboutAlpha) {
  TempDir dir;
  Dataset events = ingest_csv(dir, synthetic_log(600, 11), "syn");
  RunContext ctx;
  ctx.seed = 5;
  EngagementSampleOptions full;
  full.alpha = 1.0;
  EngagementSampleOptions down = full;
  down.alpha = 0.3;
  auto rf = build_engagement_samples(events, dir.file("full.dataset"), full, ctx);
  auto rd = build_engagement_samples(events, dir.file("down.dataset"), down, ctx);
  Dataset dfull = Dataset::open(dir.file("full.dataset"));
  Dataset ddown = Dataset::open(dir.file("down.dataset"));
  auto all = read_rows(dfull);
  auto kept = read_rows(ddown);

  // Validation and test, and every train row with a positive label, are untouched.
  auto key_of = [](const Row& r) { return r.user + "/" + r.item; };
  std::map<std::string, const Row*> kept_by_key;
  for (const Row& r : kept) kept_by_key[key_of(r)] = &r;
  size_t train_zero = 0, train_zero_kept = 0;
  std::vector<size_t> label_seen(kLabels.size(), 0), label_kept(kLabels.size(), 0);
  for (const Row& r : all) {
    const bool present = kept_by_key.count(key_of(r)) > 0;
    if (present) {
      const Row& k = *kept_by_key[key_of(r)];
      EXPECT_EQ(k.labels, r.labels);
      EXPECT_EQ(k.part, r.part);
    }
    if (r.part != 0 || !all_zero(r)) {
      EXPECT_TRUE(present) << key_of(r) << " part " << r.part;
    } else {
      ++train_zero;
      train_zero_kept += present;
    }
    if (r.part == 0) {
      for (size_t l = 0; l < kLabels.size(); ++l) {
        if (r.labels[l] == 0) {
          ++label_seen[l];
          label_kept[l] += present;
        }
      }
    }
  }
  EXPECT_EQ(rd.rows_written[1], rf.rows_written[1]);
  EXPECT_EQ(rd.rows_written[2], rf.rows_written[2]);
  EXPECT_EQ(rd.train_negatives_seen, train_zero);
  EXPECT_EQ(rd.train_negatives_kept, train_zero_kept);
  ASSERT_GT(train_zero, 3000u);
  const double rate = static_cast<double>(train_zero_kept) / static_cast<double>(train_zero);
  const double sd = std::sqrt(0.3 * 0.7 / static_cast<double>(train_zero));
  EXPECT_NEAR(rate, 0.3, 5 * sd);

  // Per-label effective alpha: exactly the counts, and above alpha when rows negative for
  // the label but positive for another are present (they are never dropped).
  const auto& per_label = ddown.extra()["downsampling"]["per_label"];
  EXPECT_DOUBLE_EQ(ddown.extra()["downsampling"]["alpha"].get<double>(), 0.3);
  for (size_t l = 0; l < kLabels.size(); ++l) {
    const auto& pl = per_label[kLabels[l]];
    EXPECT_EQ(pl["seen"].get<size_t>(), label_seen[l]) << kLabels[l];
    EXPECT_EQ(pl["kept"].get<size_t>(), label_kept[l]) << kLabels[l];
    EXPECT_DOUBLE_EQ(pl["alpha"].get<double>(),
                     static_cast<double>(label_kept[l]) / static_cast<double>(label_seen[l]));
    EXPECT_GT(pl["alpha"].get<double>(), rate) << kLabels[l];
  }
  // The buy head's negatives include many pv rows: its alpha is far from the row alpha.
  EXPECT_GT(per_label["buy"]["alpha"].get<double>(), 0.5);
}

TEST(EngagementSamples, DenseFeaturesCountTrainEventsOfOtherPairsOnly) {
  TempDir dir;
  const std::string csv = synthetic_log(200, 17);
  Dataset events = ingest_csv(dir, csv, "syn");
  EngagementSampleOptions opt;
  opt.alpha = 1.0;
  RunContext ctx;
  build_engagement_samples(events, dir.file("s.dataset"), opt, ctx);
  auto rows = read_rows(Dataset::open(dir.file("s.dataset")));
  const Log log = parse_log(csv);
  std::map<std::string, double> user_train, item_train;
  for (const Row& r : rows) {
    auto it = log.pair_events.find({r.user, r.item});
    if (r.part == 0 && it != log.pair_events.end()) {
      user_train[r.user] += it->second;
      item_train[r.item] += it->second;
    }
  }
  size_t held_out = 0;
  for (const Row& r : rows) {
    auto it = log.pair_events.find({r.user, r.item});
    const double own = (r.part == 0 && it != log.pair_events.end()) ? it->second : 0;
    EXPECT_NEAR(r.user_events, std::log1p(user_train[r.user] - own), 1e-5) << r.user << "," << r.item;
    EXPECT_NEAR(r.item_events, std::log1p(item_train[r.item] - own), 1e-5) << r.user << "," << r.item;
    held_out += r.part != 0;
  }
  EXPECT_GT(held_out, 0u);
}

// Negatives are uniform over the untouched items, on both sampling paths: few touched
// items (rejection sampling) and most of the category touched (shuffle of the free list).
// 40 items in one category; user u touches items (u + j) % 40 for j < touched.
void check_uniform_negatives(int touched, uint32_t k) {
  TempDir dir;
  std::ostringstream csv;
  const int users = 600;
  for (int u = 0; u < users; ++u) {
    for (int j = 0; j < touched; ++j) csv << "u" << u << "," << (u + j) % 40 << ",7,pv,1511544070\n";
  }
  Dataset events = ingest_csv(dir, csv.str(), "uni");
  EngagementSampleOptions opt;
  opt.negatives_per_user_category = k;
  opt.alpha = 1.0;
  RunContext ctx;
  build_engagement_samples(events, dir.file("s.dataset"), opt, ctx);
  const int free = 40 - touched;
  std::vector<double> hits(free, 0);  // by position among the user's free items
  std::vector<double> item_hits(40, 0);  // by item: each item is free for the same number of users
  for (const Row& r : read_rows(Dataset::open(dir.file("s.dataset")))) {
    if (!all_zero(r)) continue;
    const int u = std::stoi(r.user.substr(1));
    const int offset = ((std::stoi(r.item) - u) % 40 + 40) % 40 - touched;
    ASSERT_GE(offset, 0) << "negative " << r.item << " was touched by " << r.user;
    hits[offset] += 1;
    item_hits[std::stoi(r.item)] += 1;
  }
  // chi-square statistics against uniform; with n cells the mean is n - 1 and the sd
  // sqrt(2 (n - 1)), so mean + 6 sd is a bound a correct sampler essentially never passes.
  auto chi2_bound = [](const std::vector<double>& h, double expected) {
    double chi2 = 0;
    for (double x : h) chi2 += (x - expected) * (x - expected) / expected;
    const double df = static_cast<double>(h.size()) - 1;
    return std::make_pair(chi2, df + 6 * std::sqrt(2 * df));
  };
  auto [c1, b1] = chi2_bound(hits, users * static_cast<double>(k) / free);
  EXPECT_LT(c1, b1) << "touched " << touched << " (by position)";
  auto [c2, b2] = chi2_bound(item_hits, users * static_cast<double>(k) / 40);
  EXPECT_LT(c2, b2) << "touched " << touched << " (by item)";
}

TEST(EngagementSamples, NegativesAreUniformOverUntouchedItems) {
  check_uniform_negatives(1, 4);   // rejection path
  check_uniform_negatives(34, 4);  // 6 free items, K = 4: shuffle path
}

TEST(EngagementSamples, SameBytesForAnyThreadCount) {
  TempDir dir;
  Dataset events = ingest_csv(dir, synthetic_log(300, 23), "syn");
  EngagementSampleOptions opt;
  RunContext one;
  one.seed = 9;
  RunContext four = one;
  four.threads = 4;
  RunContext other = one;
  other.seed = 10;
  build_engagement_samples(events, dir.file("a.dataset"), opt, one);
  build_engagement_samples(events, dir.file("b.dataset"), opt, four);
  build_engagement_samples(events, dir.file("c.dataset"), opt, other);
  const std::string a = testing::read_file(dir.file("a.dataset"));
  EXPECT_EQ(a, testing::read_file(dir.file("b.dataset")));
  EXPECT_NE(a, testing::read_file(dir.file("c.dataset")));
}

TEST(EngagementSamples, ErrorsNameThePathAndColumn) {
  TempDir dir;
  Dataset events = ingest_csv(dir, kTiny, "tiny");
  EngagementSampleOptions opt;
  opt.category_column = "cat_missing";
  RunContext ctx;
  try {
    build_engagement_samples(events, dir.file("s.dataset"), opt, ctx);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(e.message().find(events.path()), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("cat_missing"), std::string::npos) << e.message();
  }
  opt.category_column = "timestamp";  // i64, not ids
  try {
    build_engagement_samples(events, dir.file("s.dataset"), opt, ctx);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("timestamp"), std::string::npos) << e.message();
  }
  EngagementSampleOptions bad;
  bad.alpha = 0.0;
  EXPECT_THROW(build_engagement_samples(events, dir.file("s.dataset"), bad, ctx), Error);
  bad = EngagementSampleOptions{};
  bad.train = 0.9;  // sums to 1.1
  EXPECT_THROW(build_engagement_samples(events, dir.file("s.dataset"), bad, ctx), Error);
}

}  // namespace
}  // namespace reco
