// `reco samples engagement`: per (user, item) multi-label training rows from an event log
// (reco/data/engagement_samples.h): touched pairs with one 0/1 label per event label column,
// plus K untouched items per touched (user, category) as all-zero rows, split per key,
// all-zero train rows downsampled at --alpha; per-label effective alphas go to the meta.
// `reco samples events`: one ranking row per logged impression of an event log (CSV, the one
// event model: data/event_log.h) with item/user attributes, row-aligned features (Memboost) and
// the simulator's truth joined in, split by time (reco/data/event_samples.h).
#include <cstdio>


#include "commands.h"
#include "reco/core/error.h"
#include "reco/data/dataset.h"
#include "reco/data/engagement_samples.h"
#include "reco/data/event_samples.h"
#include "reco/data/split.h"

namespace reco::cli {

namespace {

// "0.8,0.1,0.1" or "0.8,0.1" (test = the rest): the fractions of a random split spec.
void parse_fractions(const std::string& text, EngagementSampleOptions& opt) {
  SplitSpec spec;
  try {
    spec = SplitSpec::parse("random:" + text);
  } catch (const Error& e) {
    RECO_THROW(ErrorCode::kInvalidArgument) << "--split '" << text << "': expected 'TRAIN,VALIDATION[,TEST]' "
                                            << "fractions, e.g. 0.8,0.1,0.1 (" << e.message() << ")";
  }
  opt.train = spec.train;
  opt.validation = spec.validation;
  opt.test = spec.test;
}

void print_summary(const EngagementSampleReport& r, const EngagementSampleOptions& opt, const std::string& out) {
  std::printf("engagement samples -> %s\n", out.c_str());
  std::printf("  events %llu  users %llu  items %llu  categories %llu\n", (unsigned long long)r.events,
              (unsigned long long)r.users, (unsigned long long)r.items, (unsigned long long)r.categories);
  std::printf("  touched pairs %llu  sampled negatives %llu of %llu wanted (K=%u; %llu user-categories short)\n",
              (unsigned long long)r.touched_pairs, (unsigned long long)r.negatives_drawn,
              (unsigned long long)r.negatives_wanted, opt.negatives_per_user_category,
              (unsigned long long)r.short_user_categories);
  std::printf("  all-zero train rows kept %llu of %llu (alpha %.4g)\n", (unsigned long long)r.train_negatives_kept,
              (unsigned long long)r.train_negatives_seen, opt.alpha);
  std::printf("  %-12s %12s %12s %12s\n", "", "train", "validation", "test");
  std::printf("  %-12s %12llu %12llu %12llu\n", "rows", (unsigned long long)r.rows_written[0],
              (unsigned long long)r.rows_written[1], (unsigned long long)r.rows_written[2]);
  for (const auto& l : r.labels) {
    std::printf("  %-12s %12llu %12llu %12llu   alpha %.4f\n", l.name.c_str(), (unsigned long long)l.positives[0],
                (unsigned long long)l.positives[1], (unsigned long long)l.positives[2], l.effective_alpha());
  }
  std::printf("  (label rows: positives per part; alpha: effective keep rate of that head's train negatives)\n");
}

}  // namespace

Action setup_samples(CLI::App& sub, GlobalOptions& global) {
  sub.require_subcommand(1);
  CLI::App* engagement = sub.add_subcommand(
      "engagement", "Per (user, item) rows with one label per engagement type, plus untouched same-category items");
  struct Opts {
    std::string events, out, split = "0.8,0.1,0.1";
    EngagementSampleOptions opt;
  };
  auto o = std::make_shared<Opts>();
  engagement->add_option("--events", o->events, "Event dataset (e.g. `reco ingest --format taobao`)")->required();
  engagement->add_option("-o,--out", o->out, "Output dataset file")->required();
  engagement->add_option("--negatives", o->opt.negatives_per_user_category,
                         "Untouched items drawn per touched (user, category)")
      ->capture_default_str();
  engagement->add_option("--alpha", o->opt.alpha, "Keep rate of all-zero train rows, in (0,1]")->capture_default_str();
  engagement->add_option("--split", o->split, "train,validation[,test] fractions, decided per (user, item) hash")
      ->capture_default_str();
  engagement->add_option("--user-column", o->opt.user_column, "User id column of the events")->capture_default_str();
  engagement->add_option("--item-column", o->opt.item_column, "Item id column of the events")->capture_default_str();
  engagement->add_option("--category-column", o->opt.category_column, "Category id column of the events")
      ->capture_default_str();
  CLI::App* events = sub.add_subcommand(
      "events", "One ranking row per logged impression (CSV event log) with attributes, features and truth joined");
  auto e = std::make_shared<EventSampleOptions>();
  auto e_out = std::make_shared<std::string>();
  events->add_option("--events", e->events, "Event log CSV (docs/formats.md: event log)")->required();
  events->add_option("-o,--out", *e_out, "Output dataset file")->required();
  events->add_option("--truth", e->truth, "Row-aligned truth CSV (reco simulate's truth.csv)");
  events->add_option("--items", e->items, "Item attribute CSV (first column: item id)");
  events->add_option("--users", e->users, "User attribute CSV (first column: user id)");
  events->add_option("--features", e->row_features, "Row-aligned feature CSVs (e.g. reco memboost features)");
  events->add_option("--categorical", e->categorical, "Attribute columns stored as ids (vocabulary)")
      ->delimiter(',')
      ->capture_default_str();
  events->add_option("--validation-days", e->validation_days, "Days before the test window that form validation")
      ->capture_default_str();
  events->add_option("--test-days", e->test_days, "Last days of the log that form the test split")
      ->capture_default_str();
  events->add_option("--random-policy", e->random_policy, "Policy value of the unbiased (random-traffic) slice")
      ->capture_default_str();
  return [o, e, e_out, events, &global] {
    const RunContext ctx = global.context();
    if (events->parsed()) {
      const EventSampleReport r = build_event_samples(*e, *e_out, ctx);
      if (global.json) {
        std::printf("%s\n", nlohmann::json{{"out", *e_out}, {"options", e->to_json()}, {"report", r.to_json()}}
                                .dump()
                                .c_str());
      } else if (!global.quiet) {
        std::printf("event samples -> %s\n", e_out->c_str());
        std::printf("  rows %llu  requests %llu  train %llu  validation %llu  test %llu  random slice %llu\n",
                    (unsigned long long)r.rows, (unsigned long long)r.requests, (unsigned long long)r.train,
                    (unsigned long long)r.validation, (unsigned long long)r.test,
                    (unsigned long long)r.random_slice_rows);
        std::printf("  unknown items %llu  unknown users %llu  missing attribute values %llu\n",
                    (unsigned long long)r.unknown_items, (unsigned long long)r.unknown_users,
                    (unsigned long long)r.missing_values);
        std::string feats;
        for (const auto& f : r.features) feats += (feats.empty() ? "" : " ") + f;
        std::printf("  features: %s\n", feats.c_str());
        if (!r.downsampling.is_null()) std::printf("  downsampling: %s\n", r.downsampling.dump().c_str());
        std::fprintf(stderr, "reco: wrote %llu rows in %.2f s\n", (unsigned long long)r.rows, r.seconds);
      }
      return 0;
    }
    parse_fractions(o->split, o->opt);
    o->opt.validate();
    const Dataset events = Dataset::open(o->events);
    const EngagementSampleReport report = build_engagement_samples(events, o->out, o->opt, ctx);
    if (global.json) {
      nlohmann::json j = {{"out", o->out},
                          {"events", o->events},
                          {"rows", report.rows()},
                          {"seconds", report.seconds},
                          {"options", o->opt.to_json()},
                          {"report", report.to_json()},
                          {"downsampling", report.downsampling_json(o->opt.alpha)}};
      std::printf("%s\n", j.dump().c_str());
    } else if (!global.quiet) {
      print_summary(report, o->opt, o->out);
      std::fprintf(stderr, "reco: wrote %llu rows in %.2f s\n", (unsigned long long)report.rows(), report.seconds);
    }
    return 0;
  };
}

}  // namespace reco::cli
