// `reco memboost priors|update|query|features` (docs/memboost.md):
//   priors    position priors per (platform, position, type) from an event log -> JSON
//   update    incremental, durable update of a RocksDB counter store from an event log (resumes)
//   query     a query's results by Memboost score from the store (or one pair)
//   features  point-in-time Memboost ranking features, one CSV row per event-log row
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "reco/core/error.h"
#include "reco/data/event_samples.h"
#include "reco/memboost/insertion.h"
#include "reco/memboost/memboost_features.h"
#include "reco/memboost/memboost_store.h"
#include "reco/memboost/position_priors.h"
#include "reco/memboost/store_updater.h"

namespace reco::cli {

namespace {

using namespace reco::memboost;

uint64_t parse_query(const std::string& text) {
  if (text == "none") return kNoQuery;
  uint64_t v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  RECO_CHECK_CODE(!text.empty() && r.ec == std::errc() && r.ptr == text.data() + text.size(),
                  ErrorCode::kInvalidArgument)
      << "--query '" << text << "': expected an item id (u64) or 'none' for item-level memory";
  return v;
}

std::string query_text(uint64_t q) { return q == kNoQuery ? "none" : std::to_string(q); }

// The latest timestamp of an event log (one streaming pass; --cold-holdout-days needs it first).
int64_t last_timestamp(const std::string& events) {
  EventReader reader(events);
  Event e;
  int64_t last = INT64_MIN;
  while (reader.next(e)) last = std::max(last, e.timestamp);
  RECO_CHECK_CODE(last != INT64_MIN, ErrorCode::kInvalidArgument) << events << ": no events";
  return last;
}

void check_smoothing(double s) {
  RECO_CHECK_CODE(s > 0, ErrorCode::kInvalidArgument) << "--smoothing must be > 0 (pseudo-counts), got " << s;
}

nlohmann::json counters_json(const PairCounters& c, const std::vector<std::string>& types) {
  nlohmann::json e = nlohmann::json::object(), x = nlohmann::json::object();
  for (size_t t = 0; t < types.size(); ++t) {
    e[types[t]] = c.engaged[t];
    x[types[t]] = c.expected[t];
  }
  return {{"impressions", c.impressions}, {"engaged", e}, {"expected", x}};
}

Action priors_action(CLI::App* cmd, GlobalOptions& global) {
  struct Opts {
    std::string events, out;
    PriorOptions opt;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--events", o->events, "Event log CSV (reco/data/event_log.h)")->required();
  cmd->add_option("-o,--out", o->out, "Output priors JSON")->required();
  cmd->add_option("--policy", o->opt.policy, "Use only rows of this policy (e.g. random: the unbiased slice)");
  cmd->add_option("--min-impressions", o->opt.min_impressions,
                  "Weighted impressions a position needs; deeper positions reuse the last one that has them")
      ->capture_default_str();
  cmd->add_option("--prior-smoothing", o->opt.smoothing, "Pseudo-impressions shrinking each rate to its fallback")
      ->capture_default_str();
  return [o, &global] {
    const PositionPriors p = PositionPriors::estimate(o->events, o->opt, global.context());
    p.save(o->out);
    const size_t T = p.types().size();
    if (global.json) {
      nlohmann::json platforms = nlohmann::json::object();
      for (int s = 0; s <= static_cast<int>(p.platforms().size()); ++s) {
        nlohmann::json curves = nlohmann::json::object(), rates = nlohmann::json::object();
        for (size_t t = 0; t < T; ++t) {
          curves[p.types()[t]] = p.curve(s, t);
          std::vector<double> r;
          for (uint32_t q = 1; q <= p.max_position(); ++q) r.push_back(p.prior(s, q, t));
          rates[p.types()[t]] = r;
        }
        std::vector<double> n;
        for (uint32_t q = 1; q <= p.max_position(); ++q) n.push_back(p.impressions(s, q));
        platforms[s == 0 ? "*" : p.platforms()[s - 1]] = {{"impressions", n}, {"prior", rates}, {"curve", curves}};
      }
      nlohmann::json j = {{"out", o->out},           {"events", o->events},         {"policy", o->opt.policy},
                          {"rows_read", p.rows_read()}, {"rows_used", p.rows_used()}, {"types", p.types()},
                          {"max_position", p.max_position()}, {"platforms", platforms}};
      std::printf("%s\n", j.dump().c_str());
      return 0;
    }
    if (global.quiet) return 0;
    std::printf("position priors -> %s  (%llu of %llu rows%s)\n", o->out.c_str(), (unsigned long long)p.rows_used(),
                (unsigned long long)p.rows_read(), o->opt.policy.empty() ? "" : (", policy " + o->opt.policy).c_str());
    std::printf("  %-4s %12s", "pos", "impressions");
    for (size_t t = 0; t < T; ++t) std::printf(" %12s %8s", p.types()[t].c_str(), "/pos1");
    std::printf("   (all platforms)\n");
    for (uint32_t q = 1; q <= p.max_position(); ++q) {
      std::printf("  %-4u %12.0f", q, p.impressions(0, q));
      for (size_t t = 0; t < T; ++t) std::printf(" %12.5f %8.4f", p.prior(0, q, t), p.normalized(0, q, t));
      std::printf("\n");
    }
    return 0;
  };
}

Action update_action(CLI::App* cmd, GlobalOptions& global) {
  struct Opts {
    std::string store, events, priors;
    uint64_t batch_rows = 100000;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--store", o->store, "RocksDB store directory (created if missing)")->required();
  cmd->add_option("--events", o->events, "Event log CSV; rows already applied are skipped")->required();
  cmd->add_option("--priors", o->priors, "Priors JSON from `reco memboost priors`")->required();
  cmd->add_option("--batch-rows", o->batch_rows, "Rows per durable batch (whole requests)")->capture_default_str();
  return [o, &global] {
    const PositionPriors priors = PositionPriors::load(o->priors);
    MemboostStore store(o->store);
    UpdateOptions opt;
    opt.batch_rows = o->batch_rows;
    const UpdateReport r = update_store(store, o->events, priors, opt, global.context());
    if (global.json) {
      nlohmann::json j = {{"store", o->store},
                          {"events", o->events},
                          {"rows_skipped", r.rows_skipped},
                          {"rows_applied", r.rows_applied},
                          {"batches", r.batches},
                          {"pairs_touched", r.pairs_touched},
                          {"cursor", {{"rows_applied", r.cursor.rows_applied},
                                      {"last_request_id", r.cursor.last_request_id},
                                      {"batches", r.cursor.batches}}},
                          {"seconds", r.seconds}};
      std::printf("%s\n", j.dump().c_str());
    } else if (!global.quiet) {
      std::printf("memboost store %s: applied %llu rows in %llu batches (%llu already applied), %.2f s\n",
                  o->store.c_str(), (unsigned long long)r.rows_applied, (unsigned long long)r.batches,
                  (unsigned long long)r.rows_skipped, r.seconds);
    }
    return 0;
  };
}

Action query_action(CLI::App* cmd, GlobalOptions& global) {
  struct Opts {
    std::string store, query, weights, item;
    size_t top = 10;
    InsertionOptions opt;
  };
  auto o = std::make_shared<Opts>();
  o->opt.min_score = -1e300;  // listing shows every result; insertion uses min_score 0
  cmd->add_option("--store", o->store, "RocksDB store directory")->required();
  cmd->add_option("--query", o->query, "Query item id, or 'none' for item-level memory")->required();
  cmd->add_option("--item", o->item, "Show this one result's counters instead of the top list");
  cmd->add_option("--top", o->top, "Results to list")->capture_default_str();
  cmd->add_option("--weights", o->weights, "Engagement type weights, e.g. click=1,save=2 (default: all 1)");
  cmd->add_option("--smoothing", o->opt.smoothing, "Memboost pseudo-count")->capture_default_str();
  cmd->add_option("--min-impressions", o->opt.min_impressions, "Weighted impressions a result needs")
      ->capture_default_str();
  return [o, &global] {
    check_smoothing(o->opt.smoothing);
    const uint64_t query = parse_query(o->query);
    MemboostStore store(o->store, MemboostStore::Mode::kReadOnly);
    RECO_CHECK_CODE(!store.types().empty(), ErrorCode::kNotFound) << "memboost store " << o->store << " is empty";
    const auto& types = store.types();
    o->opt.weights = parse_type_weights(o->weights, types);
    std::vector<ScoredResult> rows;
    if (!o->item.empty()) {
      const uint64_t item = parse_query(o->item);
      const auto c = store.get({query, item});
      RECO_CHECK_CODE(c.has_value(), ErrorCode::kNotFound)
          << "memboost store " << o->store << ": no counters for query " << o->query << ", item " << o->item;
      rows.push_back({item, memboost_score(*c, o->opt.weights, o->opt.smoothing), *c});
    } else {
      rows = top_results(store, query, o->top, o->opt);
    }
    if (global.json) {
      nlohmann::json res = nlohmann::json::array();
      for (const auto& r : rows) {
        nlohmann::json j = counters_json(r.counters, types);
        j["item"] = r.item;
        j["score"] = r.score;
        res.push_back(j);
      }
      std::printf("%s\n", nlohmann::json{{"query", query_text(query)}, {"results", res}}.dump().c_str());
      return 0;
    }
    std::printf("%-20s %10s %12s", "item", "score", "impressions");
    for (const auto& t : types) std::printf(" %10s %10s", t.c_str(), ("E[" + t + "]").c_str());
    std::printf("\n");
    for (const auto& r : rows) {
      std::printf("%-20llu %10.4f %12.1f", (unsigned long long)r.item, r.score, r.counters.impressions);
      for (size_t t = 0; t < types.size(); ++t) std::printf(" %10.1f %10.2f", r.counters.engaged[t], r.counters.expected[t]);
      std::printf("\n");
    }
    if (rows.empty() && !global.quiet) std::fprintf(stderr, "reco: no results for query %s\n", o->query.c_str());
    return 0;
  };
}

Action features_action(CLI::App* cmd, GlobalOptions& global) {
  struct Opts {
    std::string events, priors, out, weights;
    double smoothing = 5;
    bool allow_unsorted = false;
    double cold_fraction = 0;
    double cold_holdout_days = 2;
    int64_t cold_before = INT64_MIN;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--events", o->events, "Event log CSV in time order")->required();
  cmd->add_option("--priors", o->priors, "Priors JSON from `reco memboost priors`")->required();
  cmd->add_option("-o,--out", o->out, "Output CSV, row-aligned with the event log")->required();
  cmd->add_option("--weights", o->weights, "Engagement type weights for mb_score, e.g. click=1,save=2 (default: all 1)");
  cmd->add_option("--smoothing", o->smoothing, "Memboost pseudo-count of mb_score")->capture_default_str();
  cmd->add_flag("--allow-unsorted", o->allow_unsorted, "Take file order as time order when timestamps go back");
  cmd->add_option("--cold-fraction", o->cold_fraction,
                  "Memboost-input dropout: share of (query, item) pairs whose training rows are written with the "
                  "values of an unseen pair (seeded by --seed)")
      ->capture_default_str();
  auto* holdout = cmd->add_option("--cold-holdout-days", o->cold_holdout_days,
                                  "Rows in the last N whole UTC days (validation + test of `reco samples events`) "
                                  "are never masked")
                      ->capture_default_str();
  cmd->add_option("--cold-before", o->cold_before, "Mask only rows with timestamp < this (unix s) instead")
      ->excludes(holdout);
  return [o, &global] {
    check_smoothing(o->smoothing);
    RECO_CHECK_CODE(o->cold_fraction >= 0 && o->cold_fraction <= 1, ErrorCode::kInvalidArgument)
        << "--cold-fraction must be in [0, 1], got " << o->cold_fraction;
    const PositionPriors priors = PositionPriors::load(o->priors);
    const auto weights = parse_type_weights(o->weights, priors.types());
    ColdMask cold{o->cold_fraction, o->cold_before, global.context().seed};
    if (o->cold_fraction > 0 && o->cold_before == INT64_MIN) {
      RECO_CHECK_CODE(o->cold_holdout_days >= 0, ErrorCode::kInvalidArgument)
          << "--cold-holdout-days must be >= 0, got " << o->cold_holdout_days;
      // The first whole second of the holdout, so `timestamp < before` is the samples split's train part.
      cold.before = static_cast<int64_t>(std::ceil(holdout_from(last_timestamp(o->events), o->cold_holdout_days)));
    }
    const FeaturesReport r = write_feature_csv(o->events, priors, weights, o->smoothing, o->out, o->allow_unsorted,
                                               global.context(), cold);
    if (global.json) {
      nlohmann::json j = {{"out", o->out},       {"events", o->events}, {"rows", r.rows},
                          {"requests", r.requests}, {"pairs", r.pairs},  {"rows_with_history", r.rows_with_history},
                          {"rows_masked", r.rows_masked}, {"cold_fraction", o->cold_fraction},
                          {"cold_before", cold.fraction > 0 ? nlohmann::json(cold.before) : nlohmann::json()},
                          {"seconds", r.seconds}};
      std::printf("%s\n", j.dump().c_str());
    } else if (!global.quiet) {
      std::printf("memboost features -> %s: %llu rows, %llu requests, %llu pairs, %llu rows with history, %.2f s\n",
                  o->out.c_str(), (unsigned long long)r.rows, (unsigned long long)r.requests,
                  (unsigned long long)r.pairs, (unsigned long long)r.rows_with_history, r.seconds);
      if (cold.fraction > 0)
        std::printf("  cold mask: %llu rows of %.3g of the pairs, before t=%lld\n", (unsigned long long)r.rows_masked,
                    cold.fraction, (long long)cold.before);
    }
    return 0;
  };
}

}  // namespace

Action setup_memboost(CLI::App& sub, GlobalOptions& global) {
  sub.require_subcommand(1);
  struct Entry {
    CLI::App* cmd;
    Action action;
  };
  std::vector<Entry> entries;
  auto add = [&](const char* name, const char* help, Action (*make)(CLI::App*, GlobalOptions&)) {
    CLI::App* cmd = sub.add_subcommand(name, help);
    entries.push_back({cmd, make(cmd, global)});
  };
  add("priors", "Estimate position priors from an event log", priors_action);
  add("update", "Update the RocksDB counter store from an event log (durable, resumes)", update_action);
  add("query", "List a query's results by Memboost score", query_action);
  add("features", "Point-in-time Memboost ranking features, one CSV row per event", features_action);
  return [entries]() -> int {
    for (const auto& e : entries)
      if (e.cmd->parsed()) return e.action();
    RECO_THROW(ErrorCode::kInvalidArgument) << "reco memboost: expected priors, update, query or features";
  };
}

}  // namespace reco::cli
