// reco rank --model M --data D — ranks the candidate lists of a dataset (rows grouped by
// request id) by the model's utility over its calibrated heads, and reports how good the
// ranking is:
//   per head      AUC and PR-AUC of the calibrated probability against the head's label
//   utility       NDCG@k per request, with gain = the realized utility of the row,
//                 max(0, sum_t w_t y_t) (a row that was clicked and saved is worth w_click +
//                 w_save), ranked by the predicted utility sum_t w_t p_t
//   relevance     with --relevance COL: NDCG@k with gain = that column (e.g. the simulator's
//                 true_relevance), the ranking quality against the truth
// The utility weights are the model's (models::HeadScoring) unless --utility overrides them:
// changing them re-ranks without retraining. A model with a position input is scored with the
// position zeroed (how it serves) and, for comparison, with the logged position (--position).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "reco/core/error.h"
#include "reco/models/model_file.h"
#include "reco/train/head_calibration.h"
#include "reco/train/task_metrics.h"
#include "reco/train/trainer.h"
#include "position_modes.h"
#include "split_rows.h"

namespace reco::cli {

namespace {
struct RankArgs {
  std::string model;
  std::string data;
  std::string split;
  std::string group;
  std::string utility;
  std::vector<size_t> k = {5, 10};
  std::string out;
  size_t top = 0;
  bool uncalibrated = false;
  std::string relevance;
  std::string position;
};

// The request column: --group, else the dataset's query_id column, else its user_id column.
std::string group_column(const Dataset& ds, const std::string& given) {
  if (!given.empty()) {
    const ColumnInfo& c = ds.column(given);
    RECO_CHECK(c.storage == ColumnStorage::kU32) << ds.path() << ": --group column '" << given
                                                 << "' must hold one id per row (u32)";
    return given;
  }
  for (ColumnRole role : {ColumnRole::kQueryId, ColumnRole::kUserId})
    for (const auto& c : ds.columns())
      if (c.role == role) return c.name;
  RECO_THROW(ErrorCode::kInvalidArgument) << ds.path()
                                          << ": no query_id or user_id column to group requests by; pass --group";
}
}  // namespace

Action setup_rank(CLI::App& sub, GlobalOptions& global) {
  auto a = std::make_shared<RankArgs>();
  sub.add_option("--model", a->model, "Model file written by reco train")->required();
  sub.add_option("--data", a->data, "Dataset of candidates (rows) with the model's features and labels")->required();
  sub.add_option("--split", a->split, "train | validation | test | all (default: test if present, else all)");
  sub.add_option("--group", a->group, "Request id column (default: the query_id, else the user_id column)");
  sub.add_option("--utility", a->utility, "Utility weights overriding the model's: click=1,save=2 or 1,2");
  sub.add_option("--k", a->k, "NDCG cut-offs")->delimiter(',')->capture_default_str();
  sub.add_option("--out", a->out, "Write the ranked lists as CSV (group,rank,row,utility,<heads>)");
  sub.add_option("--top", a->top, "With --out: only the first N of each list (0 = all)")->capture_default_str();
  sub.add_flag("--uncalibrated", a->uncalibrated, "Rank on raw head outputs (no calibration)");
  sub.add_option("--relevance", a->relevance, "Graded relevance column for NDCG against the truth (true_relevance)");
  sub.add_option("--position", a->position,
                 "zeroed | logged | both: how a model with a position input is scored (default both; the ranked "
                 "lists and per-head metrics use the first)");
  return [a, &global] {
    RunContext ctx = global.context();
    auto loaded = models::load_model(a->model);
    Dataset ds = Dataset::open(a->data);
    const std::string split = default_eval_split(ds, a->split);
    const auto rows = rows_of_split(ds, split);
    RECO_CHECK(!rows.empty()) << a->data << ": split '" << split << "' has no rows";
    const auto& features = loaded.model.features();
    models::check_features(features, ds, /*require_label=*/true);
    RECO_CHECK(loaded.extra.value("loss", std::string("bce")) != "mse")
        << a->model << ": a regression model has no probability heads to rank by";
    const std::string gcol = group_column(ds, a->group);
    const auto groups = ds.u32(gcol);
    const size_t nt = features.tasks.size();
    const std::vector<double> w = a->utility.empty() ? loaded.scoring.weights : loaded.scoring.parse_weights(a->utility);

    const std::vector<std::string> modes = position_modes(loaded.model, a->position);
    auto score_mode = [&](const std::string& mode, std::vector<double>& utility) {
      auto p = train::predict_rows(loaded.model, ds, rows, ctx, false, 4096, mode == "logged");
      if (!a->uncalibrated) loaded.scoring.calibrate(p);
      utility.resize(rows.size());
      for (size_t i = 0; i < rows.size(); ++i) utility[i] = models::HeadScoring::utility(&p[i * nt], w);
      return p;
    };
    std::vector<double> utility;
    auto p = score_mode(modes.front(), utility);
    std::vector<double> relevance;
    if (!a->relevance.empty()) relevance = relevance_gain(ds, a->relevance, rows);

    // Per head AUC / PR-AUC, and utility NDCG@k against the realized utility.
    const auto per_head = train::evaluate_predictions({"auc", "pr_auc"}, p, ds, features, rows);
    std::vector<std::span<const float>> labels;
    for (const auto& t : features.tasks) labels.push_back(ds.f32(t.label));
    std::vector<double> gain(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      double g = 0.0;
      for (size_t t = 0; t < nt; ++t) {
        const float y = labels[t][rows[i]];
        if (!std::isnan(y)) g += w[t] * y;
      }
      gain[i] = std::max(0.0, g);
    }
    const nlohmann::json utility_ndcg = grouped_ndcg(groups, rows, utility, gain, a->k);

    nlohmann::json out = {{"model", a->model}, {"data", a->data}, {"split", split}, {"group", gcol},
                          {"rows", rows.size()}, {"calibrated", !a->uncalibrated}};
    nlohmann::json heads = nlohmann::json::array();
    const auto hv = per_head.values();
    for (size_t t = 0; t < nt; ++t) {
      const auto v = per_head.sets[t].values();
      heads.push_back({{"name", features.tasks[t].name}, {"weight", w[t]},
                       {"auc", std::isnan(v.at("auc")) ? nlohmann::json(nullptr) : nlohmann::json(v.at("auc"))},
                       {"pr_auc", std::isnan(v.at("pr_auc")) ? nlohmann::json(nullptr) : nlohmann::json(v.at("pr_auc"))}});
    }
    out["heads"] = heads;
    out["utility"] = utility_ndcg;
    out["position_mode"] = modes.front();
    if (!relevance.empty()) out["relevance"] = grouped_ndcg(groups, rows, utility, relevance, a->k);
    if (modes.size() > 1) {
      // The same lists scored with the logged position: relevance and position bias together.
      std::vector<double> logged_utility;
      score_mode(modes[1], logged_utility);
      nlohmann::json other = {{"utility", grouped_ndcg(groups, rows, logged_utility, gain, a->k)}};
      if (!relevance.empty()) other["relevance"] = grouped_ndcg(groups, rows, logged_utility, relevance, a->k);
      out["position_" + modes[1]] = other;
    }

    if (!a->out.empty()) {
      // Ranked lists: rows of a request together, best predicted utility first.
      std::vector<size_t> order(rows.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
        const uint32_t gx = groups[rows[x]], gy = groups[rows[y]];
        if (gx != gy) return gx < gy;
        return utility[x] > utility[y];
      });
      const std::string tmp = a->out + ".tmp";
      std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(tmp.c_str(), "w"), &std::fclose);
      RECO_CHECK_CODE(f, ErrorCode::kIo) << "cannot write " << tmp;
      std::string header = "group,rank,row,utility";
      for (const auto& t : features.tasks) header += "," + t.name;
      std::fprintf(f.get(), "%s\n", header.c_str());
      uint32_t current = 0;
      size_t rank = 0;
      for (size_t j = 0; j < order.size(); ++j) {
        const size_t i = order[j];
        const uint32_t g = groups[rows[i]];
        rank = (j == 0 || g != current) ? 1 : rank + 1;
        current = g;
        if (a->top > 0 && rank > a->top) continue;
        std::fprintf(f.get(), "%u,%zu,%llu,%.9g", g, rank, (unsigned long long)rows[i], utility[i]);
        for (size_t t = 0; t < nt; ++t) std::fprintf(f.get(), ",%.9g", p[i * nt + t]);
        std::fputc('\n', f.get());
      }
      RECO_CHECK_CODE(std::fflush(f.get()) == 0, ErrorCode::kIo) << "write failed: " << tmp;
      f.reset();
      std::filesystem::rename(tmp, a->out);
      out["out"] = a->out;
    }

    if (global.json) {
      std::printf("%s\n", out.dump(2).c_str());
      return 0;
    }
    std::printf("%s on %s (%s, %zu rows, requests by '%s', %s heads, position %s)\n", a->model.c_str(),
                a->data.c_str(), split.c_str(), rows.size(), gcol.c_str(), a->uncalibrated ? "raw" : "calibrated",
                modes.front().c_str());
    for (size_t t = 0; t < nt; ++t) {
      const auto v = per_head.sets[t].values();
      std::printf("  head %-16s weight %-8.4g auc %.5f  pr_auc %.5f\n", features.tasks[t].name.c_str(), w[t],
                  v.at("auc"), v.at("pr_auc"));
    }
    for (const auto& [name, value] : utility_ndcg["metrics"].items()) {
      const auto& g = utility_ndcg["groups"][name];
      std::printf("  utility %-14s %.5f  (%s requests, %s without any gain skipped)\n", name.c_str(),
                  value.is_null() ? NAN : value.get<double>(), g["used"].dump().c_str(), g["skipped"].dump().c_str());
    }
    auto print_block = [](const char* what, const nlohmann::json& j) {
      for (const auto& [name, value] : j["metrics"].items())
        std::printf("  %-9s %-14s %s\n", what, name.c_str(), value.is_null() ? "n/a" : fmt::format("{:.5f}", value.get<double>()).c_str());
    };
    if (out.contains("relevance")) print_block("relevance", out["relevance"]);
    if (modes.size() > 1) {
      std::printf("  with the logged position fed (relevance + position bias):\n");
      const auto& other = out["position_" + modes[1]];
      print_block("utility", other["utility"]);
      if (other.contains("relevance")) print_block("relevance", other["relevance"]);
    }
    if (!a->out.empty()) std::printf("  ranked lists written to %s\n", a->out.c_str());
    return 0;
  };
}

}  // namespace reco::cli
