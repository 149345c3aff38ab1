// reco eval --model M --data D — metrics of a saved model on a dataset split.
// A model with a position input (feature / tower) is judged Airbnb-style twice: with the
// position zeroed (how it serves: relevance alone) and with the logged position fed (relevance
// and position bias together); --relevance adds NDCG@k per request against a graded relevance
// column (the simulator's true_relevance), ranked by the model's utility.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "reco/core/error.h"
#include "reco/eval/metric_set.h"
#include "reco/models/model_file.h"
#include "reco/calibrate/reliability_svg.h"
#include "reco/train/head_calibration.h"
#include "reco/train/trainer.h"
#include "position_modes.h"
#include "split_rows.h"

namespace reco::cli {

namespace {
struct EvalArgs {
  std::string model;
  std::string data;
  std::string split;
  std::vector<std::string> metrics = {"auc", "pr_auc", "logloss", "brier", "accuracy", "calibration"};
  bool raw = false;
  int bins = 10;
  std::string reliability_svg;
  std::string position;
  std::string relevance;
  std::string group;
  std::vector<size_t> k = {10};
};
}  // namespace

Action setup_eval(CLI::App& sub, GlobalOptions& global) {
  auto a = std::make_shared<EvalArgs>();
  sub.add_option("--model", a->model, "Model file written by reco train")->required();
  sub.add_option("--data", a->data, "Dataset file with the model's feature columns and label")->required();
  sub.add_option("--split", a->split, "train | validation | test | all (default: test if present, else all)");
  sub.add_option("--metrics", a->metrics, "Metric names (auc pr_auc logloss brier accuracy calibration mse ...)")
      ->delimiter(',')
      ->capture_default_str();
  sub.add_flag("--raw", a->raw, "Judge the raw head outputs (default: calibrated as stored in the model)");
  sub.add_option("--bins", a->bins, "Reliability diagram bins")->capture_default_str();
  sub.add_option("--reliability-svg", a->reliability_svg, "Write the per-head reliability diagram as SVG");
  sub.add_option("--position", a->position,
                 "zeroed | logged | both (default both for a model with a position input; the first is the main report)");
  sub.add_option("--relevance", a->relevance, "Graded relevance column: NDCG@k per request against it");
  sub.add_option("--group", a->group, "Request column for --relevance (default: the query_id column)");
  sub.add_option("--k", a->k, "NDCG cut-offs for --relevance")->delimiter(',')->capture_default_str();
  return [a, &global] {
    RunContext ctx = global.context();
    auto loaded = models::load_model(a->model);
    Dataset ds = Dataset::open(a->data);
    const std::string split = default_eval_split(ds, a->split);
    const auto rows = rows_of_split(ds, split);
    RECO_CHECK(!rows.empty()) << a->data << ": split '" << split << "' has no rows";
    const auto& features = loaded.model.features();
    models::check_features(features, ds, /*require_label=*/true);
    const bool regression = loaded.extra.value("loss", std::string("bce")) == "mse";
    const std::vector<std::string> modes = position_modes(loaded.model, a->position);
    std::span<const uint32_t> groups;
    std::vector<double> gain;
    if (!a->relevance.empty()) {
      std::string g = a->group;
      for (const auto& c : ds.columns())
        if (g.empty() && c.role == ColumnRole::kQueryId) g = c.name;
      RECO_CHECK(!g.empty()) << a->data << ": --relevance needs a request column: pass --group";
      groups = ds.u32(g);
      gain = relevance_gain(ds, a->relevance, rows);
    }
    const size_t nt = features.tasks.size();
    // Metrics (and relevance NDCG) of one position mode.
    auto judge = [&](const std::string& mode, std::vector<float>& predictions) {
      predictions = train::predict_rows(loaded.model, ds, rows, ctx, regression, 4096, mode == "logged");
      if (!regression && !a->raw) loaded.scoring.calibrate(predictions);
      const train::TaskMetrics set = train::evaluate_predictions(a->metrics, predictions, ds, features, rows);
      nlohmann::json j = set.to_json();
      if (!a->relevance.empty()) {
        std::vector<double> utility(rows.size());
        for (size_t i = 0; i < rows.size(); ++i)
          utility[i] = models::HeadScoring::utility(&predictions[i * nt], loaded.scoring.weights);
        j["relevance"] = grouped_ndcg(groups, rows, utility, gain, a->k);
      }
      return std::make_pair(set.values(), j);
    };
    std::vector<float> predictions;
    auto [values, out] = judge(modes.front(), predictions);
    out["position_mode"] = modes.front();
    std::map<std::string, double> logged_values;
    nlohmann::json logged_json;
    if (modes.size() > 1) {
      std::vector<float> logged_predictions;
      std::tie(logged_values, logged_json) = judge(modes[1], logged_predictions);
      out["position_" + modes[1]] = logged_json;
    }
    out["model"] = a->model;
    out["data"] = a->data;
    out["split"] = split;
    out["calibrated"] = !regression && !a->raw;
    std::vector<calibrate::CalibrationReport> reports;
    if (!regression) {
      RECO_CHECK(a->bins >= 1) << "--bins must be >= 1";
      reports = train::head_calibration_reports(features, predictions, ds, rows, static_cast<size_t>(a->bins));
      nlohmann::json heads = nlohmann::json::array();
      for (size_t t = 0; t < reports.size(); ++t) {
        nlohmann::json h = reports[t].to_json();
        h["calibrator"] = loaded.scoring.calibrators[t].to_json();
        heads.push_back(h);
      }
      out["heads"] = heads;
      if (!a->reliability_svg.empty()) calibrate::write_reliability_svg(a->reliability_svg, reports);
    }
    if (global.json) {
      std::printf("%s\n", out.dump(2).c_str());
    } else {
      std::printf("%s on %s (%s, %zu rows):\n", a->model.c_str(), a->data.c_str(), split.c_str(), rows.size());
      if (modes.size() > 1) std::printf("  (position %s; the logged-position column feeds each row's position)\n",
                                        modes.front().c_str());
      for (const auto& [k, v] : values) {
        if (modes.size() > 1) {
          std::printf("  %-24s %.6f   logged %.6f\n", k.c_str(), v, logged_values.at(k));
        } else {
          std::printf("  %-24s %.6f\n", k.c_str(), v);
        }
      }
      if (out.contains("relevance"))
        for (const auto& [name, v] : out["relevance"]["metrics"].items()) {
          std::printf("  relevance %-14s %.6f", name.c_str(), v.is_null() ? NAN : v.get<double>());
          if (modes.size() > 1) {
            const auto& lv = logged_json["relevance"]["metrics"][name];
            std::printf("   logged %.6f", lv.is_null() ? NAN : lv.get<double>());
          }
          std::printf("\n");
        }
      for (const auto& r : reports)
        std::printf("  head %-16s brier %.5f  ece %.5f  mce %.5f  logloss %.5f  calibration %.4f  (%llu rows, %llu masked)\n",
                    r.head.c_str(), r.brier, r.ece, r.mce, r.log_loss, r.calibration_ratio,
                    (unsigned long long)r.count, (unsigned long long)r.masked);
      if (!a->reliability_svg.empty()) std::printf("  reliability diagram written to %s\n", a->reliability_svg.c_str());
    }
    return 0;
  };
}

}  // namespace reco::cli
