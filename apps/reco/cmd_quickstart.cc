// reco quickstart — the main job, end to end on whatever data is at hand.
// With ../shared/data present it ingests the real Taobao UserBehavior log, builds per-(user,
// item) engagement samples (negatives downsampled in train only), trains a 4-head MMoE
// ranker (pv, fav, cart, buy) with per-head downsampling correction and prints per-head
// AUC, Brier and calibration on the held-out, non-downsampled test split, then the utility
// ranking. Without it, it generates DLRM random data and trains a single-head DLRM.
// Later stages of the cascade (candidates, serving) extend this command.
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

// Trains the config in `dir`, prints per-head test metrics and calibration; returns JSON.
nlohmann::json train_and_report(const GlobalOptions& g, const fs::path& dir, const std::string& config_text,
                                const RunContext& ctx) {
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
  return {{"model", cfg.output_model}, {"train", report.to_json()}, {"heads", heads}};
}
}  // namespace

Action setup_quickstart(CLI::App& sub, GlobalOptions& global) {
  struct Opts {
    std::string data, out = "reco-quickstart";
    uint64_t random_rows = 200000;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--data", o->data, "Folder of shared datasets (default: $RECO_SHARED_DATA or ../shared/data)");
  sub.add_option("--out", o->out, "Working folder for the artifacts")->capture_default_str();
  sub.add_option("--random-rows", o->random_rows, "Rows of generated data when no real data is found")
      ->capture_default_str();
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
    } else {
      step(global, "train a DLRM ranker on the generated data");
      result["ranker"] = train_and_report(global, o->out, kRandomConfig, ctx);
    }
    if (global.json) std::printf("%s\n", result.dump(2).c_str());
    return 0;
  };
}

}  // namespace reco::cli
