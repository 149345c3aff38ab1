// reco quickstart — the main job, end to end on whatever data is at hand.
// With ../shared/data present it ingests the real Taobao UserBehavior log, builds per-(user,
// item) engagement samples (negatives downsampled in train only), trains a 4-head MMoE
// ranker (pv, fav, cart, buy) with per-head downsampling correction and prints per-head
// AUC, Brier and calibration on the held-out, non-downsampled test split, then the utility
// ranking. Without it, it simulates an engagement log with known truth (`reco simulate`),
// derives point-in-time Memboost features, builds ranking rows per impression and trains a
// 4-head ranker with a position tower, reporting per-head AUC and calibration on the
// not-downsampled test days and NDCG@10 against the TRUE relevance (position zeroed).
// --random-rows N > 0 keeps the older fallback: random DLRM data and a single-head DLRM.
// Both end with a serving bundle (<out>/bundle: Pixie graph, co-occurrence and popular sources, the
// ranker, item/user tables, and for the simulated log the Memboost store) that `reco serve` loads.
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "commands.h"
#include "reco/core/error.h"
#include "reco/data/dataset.h"
#include "reco/data/dataset_summary.h"
#include "reco/data/ingest.h"
#include "reco/data/presets.h"
#include "reco/data/engagement_samples.h"
#include "reco/data/random_gen.h"
#include "reco/data/event_samples.h"
#include "reco/memboost/memboost_features.h"
#include "reco/memboost/position_priors.h"
#include "reco/sim/simulator.h"
#include "position_modes.h"
#include "quickstart_bundle.h"
#include "reco/data/event_log.h"
#include "reco/models/model_file.h"
#include "reco/train/head_calibration.h"
#include "reco/train/task_metrics.h"
#include "reco/train/train_config.h"
#include "reco/train/trainer.h"

namespace reco::cli {

namespace fs = std::filesystem;

namespace {
fs::path find_shared_data(const std::string& given) {
  std::error_code ec;
  if (!given.empty()) {
    RECO_CHECK_CODE(fs::is_directory(given, ec), ErrorCode::kNotFound) << "--data " << given << " is not a directory";
    return given;
  }
  if (const char* env = std::getenv("RECO_SHARED_DATA"); env && fs::is_directory(env, ec)) return env;
  if (fs::is_directory("../shared/data", ec)) return "../shared/data";
  return {};
}

void step(const GlobalOptions& g, const std::string& text) {
  if (!g.quiet && !g.json) std::printf("\n== %s\n", text.c_str());
  std::fflush(stdout);
}

constexpr const char* kTaobaoConfig = R"(# written by reco quickstart
[data]
path = "samples.dataset"
sparse = ["user_id", "item_id", "category_id"]
[[task]]
name = "pv"
label = "pv"
[[task]]
name = "fav"
label = "fav"
[[task]]
name = "cart"
label = "cart"
[[task]]
name = "buy"
label = "buy"
[model]
kind = "mlp"
head = "mmoe"
embedding_dim = 16
experts = 4
expert = [64]
tower = [32, 1]
[optimizer]
kind = "lazy_adam"
lr = 0.002
[train]
batch_size = 256
epochs = 3
patience = 1
metrics = ["auc"]
[utility]
weights = { pv = 1.0, fav = 3.0, cart = 5.0, buy = 20.0 }
[output]
model = "ranker.model"
)";

constexpr const char* kRandomConfig = R"(# written by reco quickstart
[data]
path = "events.dataset"
[model]
kind = "dlrm"
embedding_dim = 8
bottom = [32, 8]
top = [32, 1]
[optimizer]
kind = "adagrad"
lr = 0.05
[train]
batch_size = 256
epochs = 2
metrics = ["auc"]
[output]
model = "ranker.model"
)";

constexpr const char* kSimConfig = R"(# written by reco quickstart: a 4-head ranker on simulated logs
[data]
path = "samples.dataset"
eval = "validation"
dense = ["item_quality", "item_log_popularity", "user_activity", "match_query_category", "match_user_category",
         "match_query_locale", "match_user_locale", "mb_impressions", "mb_click", "mb_expected_click", "mb_coec_click",
         "mb_score"]
sparse = ["platform", "locale", "item_category", "item_locale", "user_top_category", "query_category"]
[[task]]
name = "closeup"
label = "closeup"
[[task]]
name = "click"
label = "click"
[[task]]
name = "long_click"
label = "long_click"
[[task]]
name = "save"
label = "save"
[model]
kind = "mlp"
head = "shared_bottom"
embedding_dim = 8
shared = [64, 32]
tower = [16, 1]
[position]
method = "tower"
cross = "platform"
[optimizer]
kind = "lazy_adam"
lr = 0.002
[train]
batch_size = 512
epochs = 2
metrics = ["auc"]
[utility]
weights = { closeup = 1, click = 2, long_click = 4, save = 4 }
[output]
model = "ranker.model"
)";

// Trains the config in `dir`, prints per-head test metrics and calibration; returns JSON.
nlohmann::json train_and_report(const GlobalOptions& g, const fs::path& dir, const std::string& config_text,
                                const RunContext& ctx, const std::string& relevance = "") {
  const fs::path config_path = dir / "ranker.toml";
  {
    std::FILE* f = std::fopen(config_path.c_str(), "w");
    RECO_CHECK_CODE(f, ErrorCode::kIo) << "cannot write " << config_path.string();
    std::fputs(config_text.c_str(), f);
    std::fclose(f);
  }
  train::TrainConfig cfg = train::load_train_config(config_path.string());
  Dataset ds = Dataset::open(cfg.data_path);
  const auto features = models::resolve_features(cfg.features, ds);
  std::vector<uint64_t> train_rows, val_rows, test_rows;
  const auto split = ds.split();
  for (uint64_t r = 0; r < split.size(); ++r) (split[r] == 0 ? train_rows : split[r] == 1 ? val_rows : test_rows).push_back(r);
  models::CtrModel model(cfg.model, features);
  model.init(ctx.seed);
  RunContext train_ctx = ctx;
  train_ctx.quiet = ctx.quiet || ctx.json;
  train::Trainer trainer(model, cfg.train, train_ctx);
  auto report = trainer.fit(ds, train_rows, val_rows, [&](const train::EpochReport& e) {
    if (g.quiet || g.json) return;
    std::printf("epoch %d: train loss %.4f, %.0f samples/s, validation auc %.4f\n", e.epoch, e.train_loss,
                e.samples_per_second, e.metrics.count("auc") ? e.metrics.at("auc") : NAN);
  });
  const auto methods = train::head_calibration_methods(cfg, features, config_path.string());
  const auto raw = train::fits_a_map(methods) ? train::predict_rows(model, ds, val_rows, ctx) : std::vector<float>{};
  const auto scoring = train::fit_head_scoring(features, ds, val_rows, raw, "validation", methods,
                                               train::head_utility_weights(cfg, features, config_path.string()));
  models::SaveOptions save;
  save.scoring = &scoring;
  models::save_model(cfg.output_model, model, save);
  const auto p = train::calibrated_predictions(model, scoring, ds, test_rows, ctx);
  const auto metrics = train::evaluate_predictions({"auc", "pr_auc"}, p, ds, features, test_rows);
  const auto reports = train::head_calibration_reports(features, p, ds, test_rows);
  nlohmann::json heads = nlohmann::json::array();
  if (!g.quiet && !g.json)
    std::printf("test split (%zu rows, not downsampled), calibrated heads:\n", test_rows.size());
  for (size_t t = 0; t < reports.size(); ++t) {
    const auto v = metrics.sets[t].values();
    nlohmann::json h = reports[t].to_json();
    h["auc"] = v.at("auc");
    h["pr_auc"] = v.at("pr_auc");
    h["alpha"] = scoring.calibrators[t].alpha;
    heads.push_back(h);
    if (!g.quiet && !g.json)
      std::printf("  %-6s auc %.4f  brier %.5f  ece %.5f  calibration %.3f (mean p %.4f vs rate %.4f; alpha %.3g)\n",
                  reports[t].head.c_str(), v.at("auc"), reports[t].brier, reports[t].ece, reports[t].calibration_ratio,
                  reports[t].mean_prediction, reports[t].base_rate, scoring.calibrators[t].alpha);
  }
  nlohmann::json out = {{"model", cfg.output_model}, {"train", report.to_json()}, {"heads", heads}};
  if (!relevance.empty()) {
    // Ranking quality against the truth: requests ranked by the utility (position zeroed).
    std::vector<double> utility(test_rows.size());
    const size_t nt = features.tasks.size();
    for (size_t i = 0; i < test_rows.size(); ++i) utility[i] = models::HeadScoring::utility(&p[i * nt], scoring.weights);
    const auto gain = relevance_gain(ds, relevance, test_rows);
    out["relevance"] = grouped_ndcg(ds.u32("request_id"), test_rows, utility, gain, {10});
    if (!g.quiet && !g.json)
      std::printf("  NDCG@10 against the true relevance (position zeroed, utility ranking): %.4f\n",
                  out["relevance"]["metrics"]["ndcg_linear@10"].get<double>());
  }
  return out;
}
// The last step: a serving bundle of what was just trained (`make demo` then serves it).
void serving_step(const GlobalOptions& g, const QuickstartBundleInputs& in, nlohmann::json& result,
                  const RunContext& ctx) {
  step(g, "serving bundle: Pixie graph, co-occurrence, popular, ranker, item/user tables" +
              std::string(in.events.empty() ? "" : ", Memboost store") + " -> " + in.dir + "/bundle");
  const nlohmann::json m = build_quickstart_bundle(in, ctx);
  result["bundle"] = {{"path", in.dir + "/bundle"}, {"version", m["version"]}, {"counts", m["counts"]}};
  if (!g.quiet && !g.json)
    std::printf("bundle %s (%s items, %zu sources%s); serve it with:\n  reco serve --bundle %s/bundle\n",
                m["version"].get<std::string>().c_str(), m["counts"]["items"].dump().c_str(), m["sources"].size(),
                in.events.empty() ? "" : ", Memboost", in.dir.c_str());
}

// Interactions of an event log: every impression with at least one engagement.
std::vector<Interaction> engaged_interactions(const std::string& events) {
  EventReader reader(events);
  std::vector<Interaction> out;
  Event e;
  while (reader.next(e)) {
    bool any = false;
    for (uint8_t x : e.engaged) any = any || x;
    if (any) out.push_back({e.user_id, e.item_id, 1.0f, e.timestamp});
  }
  sort_interactions(out);
  return out;
}
}  // namespace

Action setup_quickstart(CLI::App& sub, GlobalOptions& global) {
  struct Opts {
    std::string data, out = "reco-quickstart";
    uint64_t random_rows = 0;
    int64_t impressions = 1000000;
    bool no_bundle = false;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--data", o->data, "Folder of shared datasets (default: $RECO_SHARED_DATA or ../shared/data)");
  sub.add_option("--out", o->out, "Working folder for the artifacts")->capture_default_str();
  sub.add_option("--random-rows", o->random_rows,
                 "Without real data: generate N random DLRM rows instead of simulating (0 = simulate)")
      ->capture_default_str();
  sub.add_option("--impressions", o->impressions, "Without real data: impressions to simulate")->capture_default_str();
  sub.add_flag("--no-bundle", o->no_bundle, "Stop after training (no serving bundle)");
  return [o, &global] {
    RunContext ctx = global.context();
    fs::create_directories(o->out);
    fs::path data = find_shared_data(o->data);
    fs::path taobao = data.empty() ? fs::path{} : data / "taobao-userbehavior-head" / "UserBehavior_head_84475.csv";
    std::string dataset_path = (fs::path(o->out) / "events.dataset").string();
    nlohmann::json result = {{"out", o->out}};
    std::error_code ec;
    if (!taobao.empty() && fs::exists(taobao, ec)) {
      step(global, fmt::format("ingest {} (preset taobao, leave-last-out split)", taobao.string()));
      IngestOptions opt;
      opt.inputs = {taobao.string()};
      opt.schema = preset_schema("taobao");
      opt.schema_name = "taobao";
      opt.output = dataset_path;
      opt.split = "leave-last-out:1";
      opt.ctx = ctx;
      IngestReport report = ingest(opt);
      result["source"] = taobao.string();
      result["ingest"] = report.to_json();
      if (!global.quiet && !global.json) {
        std::printf("%llu rows in %.2f s (%.1f MB/s parse)\n", (unsigned long long)report.rows_written,
                    report.elapsed_seconds, report.parse_seconds > 0 ? report.text_bytes / report.parse_seconds / 1e6 : 0.0);
      }
    } else if (o->random_rows == 0) {
      const fs::path out(o->out);
      step(global, fmt::format("no shared data found: simulating {} impressions with known truth (alpha 0.25)",
                               o->impressions));
      sim::SimConfig sc;
      sc.impressions = o->impressions;
      sc.downsample = 0.25;
      const sim::SimReport sr = sim::simulate(sc, (out / "sim").string(), ctx);
      result["source"] = "reco simulate";
      result["simulate"] = sr.to_json();
      const std::string events = (out / "sim" / "events.csv").string();
      step(global, "Memboost: position priors and point-in-time COEC features per impression");
      const auto priors = memboost::PositionPriors::estimate(events, memboost::PriorOptions{}, ctx);
      const auto fr = memboost::write_feature_csv(events, priors, std::vector<double>(priors.types().size(), 1.0), 5.0,
                                                  (out / "memboost.csv").string(), false, ctx);
      result["memboost"] = {{"rows", fr.rows}, {"rows_with_history", fr.rows_with_history}, {"pairs", fr.pairs}};
      step(global, "ranking rows per impression: attributes, Memboost features and truth joined; split by day");
      EventSampleOptions eo;
      eo.events = events;
      eo.truth = (out / "sim" / "truth.csv").string();
      eo.items = (out / "sim" / "items.csv").string();
      eo.users = (out / "sim" / "users.csv").string();
      eo.row_features = {(out / "memboost.csv").string()};
      const std::string samples = (out / "samples.dataset").string();
      result["samples"] = build_event_samples(eo, samples, ctx).to_json();
      step(global, "train a 4-head ranker (closeup, click, long_click, save) with a position tower");
      result["ranker"] = train_and_report(global, out, kSimConfig, ctx, "true_relevance");
      priors.save((out / "priors.json").string());
      QuickstartBundleInputs qb;
      qb.dir = o->out;
      qb.name = "sim";
      qb.model = (out / "ranker.model").string();
      qb.dataset = samples;
      qb.interactions = engaged_interactions(events);
      qb.events = events;
      qb.priors = (out / "priors.json").string();
      if (!o->no_bundle) serving_step(global, qb, result, ctx);
      if (global.json) std::printf("%s\n", result.dump(2).c_str());
      return 0;
    } else {
      step(global, fmt::format("no shared data found: generating {} random DLRM rows", o->random_rows));
      RandomDatasetSpec spec;
      spec.rows = o->random_rows;
      spec.table_sizes.assign(8, 10000);
      spec.seed = ctx.seed;
      spec.split = "random:0.8,0.1,0.1";
      generate_random_dataset(spec, dataset_path, ctx);
      result["source"] = "reco gen random";
    }
    step(global, "inspect " + dataset_path);
    nlohmann::json summary = summarize_dataset(Dataset::open(dataset_path), ctx);
    result["summary"] = summary;
    if (!global.json) std::fputs(format_dataset_summary(summary).c_str(), stdout);
    const bool real = result["source"] != "reco gen random";
    if (real) {
      const std::string samples = (fs::path(o->out) / "samples.dataset").string();
      step(global, "engagement samples: per (user, item) rows with pv/fav/cart/buy labels, train negatives kept at 0.25");
      EngagementSampleOptions so;
      const auto sr = build_engagement_samples(Dataset::open(dataset_path), samples, so, ctx);
      result["samples"] = sr.to_json();
      step(global, "train a 4-head MMoE ranker (pv, fav, cart, buy)");
      result["ranker"] = train_and_report(global, o->out, kTaobaoConfig, ctx);
      if (!o->no_bundle && result.contains("ingest")) {
        // User histories for the candidate sources: the log without each user's last event
        // (the same leave-last-out split the ranker was evaluated on).
        SplitSpec spec;
        spec.format = SplitFormat::kTaobao;
        spec.input = result["source"].get<std::string>();
        spec.holdout_last = 1;
        QuickstartBundleInputs qb;
        qb.dir = o->out;
        qb.name = "taobao";
        qb.model = (fs::path(o->out) / "ranker.model").string();
        qb.dataset = samples;
        qb.interactions = split_interactions(spec).train;
        serving_step(global, qb, result, ctx);
      }
    } else {
      step(global, "train a DLRM ranker on the generated data");
      result["ranker"] = train_and_report(global, o->out, kRandomConfig, ctx);
    }
    if (global.json) std::printf("%s\n", result.dump(2).c_str());
    return 0;
  };
}

}  // namespace reco::cli
