// reco train --config FILE — trains a model described by a TOML config (train/train_config.h)
// on a dataset file, evaluates it each epoch and writes the model file.
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "reco/core/error.h"
#include <spdlog/spdlog.h>
#include "reco/models/model_file.h"
#include "reco/optim/optimizer_config.h"
#include "reco/train/train_config.h"
#include "reco/train/head_calibration.h"
#include "reco/train/trainer.h"
#include "split_rows.h"

namespace reco::cli {

namespace {
struct TrainArgs {
  std::string config;
  std::string data;
  std::string out;
  int epochs = 0;
  int64_t max_steps = -1;
};

std::string format_metrics(const std::map<std::string, double>& m) {
  std::string s;
  for (const auto& [k, v] : m) s += fmt::format(" {} {:.5f}", k, v);
  return s;
}
}  // namespace

Action setup_train(CLI::App& sub, GlobalOptions& global) {
  auto a = std::make_shared<TrainArgs>();
  sub.add_option("--config", a->config, "Training config (TOML): [data] [model] [optimizer] [train] [output]")
      ->required();
  sub.add_option("--data", a->data, "Dataset file (overrides data.path)");
  sub.add_option("--out", a->out, "Model file to write (overrides output.model)");
  sub.add_option("--epochs", a->epochs, "Epochs (overrides train.epochs)");
  sub.add_option("--max-steps", a->max_steps, "Stop after this many steps (overrides train.max_steps)");
  CLI::App* parent = sub.get_parent();
  return [a, &global, parent] {
    train::TrainConfig cfg = train::load_train_config(a->config);
    if (!a->data.empty()) cfg.data_path = a->data;
    if (!a->out.empty()) cfg.output_model = a->out;
    if (a->epochs > 0) cfg.train.epochs = a->epochs;
    if (a->max_steps >= 0) cfg.train.max_steps = a->max_steps;
    RECO_CHECK(!cfg.data_path.empty()) << a->config << ": no dataset (set data.path or pass --data)";
    RECO_CHECK(!cfg.output_model.empty()) << a->config << ": no output model (set output.model or pass --out)";
    RunContext ctx = global.context();
    // The config's threads/seed apply unless given on the command line.
    if (parent->count("--threads") == 0) ctx.threads = cfg.threads <= 0 ? RunContext::hardware_threads() : cfg.threads;
    if (parent->count("--seed") == 0) ctx.seed = cfg.seed;

    Dataset ds = Dataset::open(cfg.data_path);
    const models::FeatureMap features = models::resolve_features(cfg.features, ds);
    std::vector<uint64_t> train_rows, eval_rows;
    if (ds.split().empty()) {
      spdlog::warn("{} has no split: training on all {} rows without evaluation", ds.path(), ds.rows());
      train_rows = rows_of_split(ds, "all");
    } else {
      train_rows = rows_of_split(ds, "train");
      if (cfg.eval_split != "none") eval_rows = rows_of_split(ds, cfg.eval_split);
    }
    models::CtrModel model(cfg.model, features);
    model.init(ctx.seed);
    if (!ctx.json && !ctx.quiet)
      std::fprintf(stderr, "training %s: %zu dense, %zu sparse features, %s parameters, %zu train / %zu eval rows, %d threads\n",
                   std::string(models::model_kind_name(cfg.model.kind)).c_str(), features.dense.size(),
                   features.sparse.size(), std::to_string(model.parameter_count()).c_str(), train_rows.size(),
                   eval_rows.size(), ctx.threads);
    train::Trainer trainer(model, cfg.train, ctx);
    auto report = trainer.fit(ds, train_rows, eval_rows, [&](const train::EpochReport& e) {
      if (ctx.json || ctx.quiet) return;
      std::printf("epoch %d: train loss %.5f, %.0f samples/s, %.1f s%s%s\n", e.epoch, e.train_loss,
                  e.samples_per_second, e.seconds, e.metrics.empty() ? "" : ", " ,
                  e.metrics.empty() ? "" : (cfg.eval_split + format_metrics(e.metrics)).c_str());
      std::fflush(stdout);
    });
    nlohmann::json extra = {
        {"trained_by", "reco train"},
        {"config", cfg.source_text},
        {"config_path", a->config},
        {"dataset", {{"path", std::filesystem::absolute(cfg.data_path).string()}, {"rows", ds.rows()},
                     {"train_rows", train_rows.size()}, {"eval_rows", eval_rows.size()},
                     {"eval_split", cfg.eval_split}}},
        {"downsampling", ds.extra().value("downsampling", nlohmann::json(nullptr))},
        {"loss", nn::loss_name(cfg.train.loss)},
        {"optimizer", optim::optimizer_config_to_json(cfg.train.optimizer)},
        {"threads", ctx.threads},
        {"seed", ctx.seed},
        {"report", report.to_json()}};
    // Heads: calibrators (downsampling alpha + optional post-hoc map on the evaluation rows)
    // and utility weights, stored with the model; then how calibrated the heads are.
    const auto methods = train::head_calibration_methods(cfg, features, a->config);
    const auto weights = train::head_utility_weights(cfg, features, a->config);
    // One forward pass over the evaluation rows serves the calibrator fit and the report.
    const bool judged = !eval_rows.empty() && cfg.train.loss != nn::LossKind::kMse;
    std::vector<float> raw;
    if (!eval_rows.empty() && (judged || train::fits_a_map(methods))) raw = train::predict_rows(model, ds, eval_rows, ctx);
    const models::HeadScoring scoring =
        train::fit_head_scoring(features, ds, eval_rows, raw, cfg.eval_split, methods, weights);
    nlohmann::json heads_json = nlohmann::json::array();
    const auto gates = train::mean_gate_weights(model, ds, eval_rows, ctx);
    if (judged) {
      std::vector<float> p = raw;
      scoring.calibrate(p);
      const auto reports = train::head_calibration_reports(features, p, ds, eval_rows, cfg.calibration_bins);
      for (size_t t = 0; t < reports.size(); ++t) {
        nlohmann::json h = reports[t].to_json();
        h["calibrator"] = scoring.calibrators[t].to_json();
        h["utility_weight"] = scoring.weights[t];
        if (!gates.empty()) h["mean_gate_weights"] = gates[t];
        heads_json.push_back(h);
        if (ctx.json || ctx.quiet) continue;
        std::printf("head %-16s %s: brier %.5f, ece %.5f, logloss %.5f, calibration %.4f (alpha %.4g, %s)\n",
                    reports[t].head.c_str(), cfg.eval_split.c_str(), reports[t].brier, reports[t].ece,
                    reports[t].log_loss, reports[t].calibration_ratio, scoring.calibrators[t].alpha,
                    std::string(calibrate::calibrator_kind_name(scoring.calibrators[t].kind)).c_str());
        if (!gates.empty()) {
          std::string g;
          for (double v : gates[t]) g += fmt::format(" {:.3f}", v);
          std::printf("  mean gate weights over %zu experts:%s\n", gates[t].size(), g.c_str());
        }
      }
    }
    extra["heads"] = heads_json;
    models::SaveOptions save;
    save.extra = extra;
    save.scoring = &scoring;
    models::save_model(cfg.output_model, model, save);
    if (ctx.json) {
      nlohmann::json out = report.to_json();
      out["model"] = cfg.output_model;
      out["parameters"] = model.parameter_count();
      out["heads"] = heads_json;
      std::printf("%s\n", out.dump(2).c_str());
    } else if (!ctx.quiet) {
      std::printf("best epoch %d%s; model written to %s\n", report.best_epoch,
                  report.stopped_early ? " (stopped early)" : "", cfg.output_model.c_str());
    }
    return 0;
  };
}

}  // namespace reco::cli
