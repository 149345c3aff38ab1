// reco tune — Bayesian optimization (src/reco/tuning) from the command line:
//   utility   tunes a trained multi-task model's utility weights offline: each trial ranks the
//             logged candidate lists by sum_t w_t p_t (calibrated heads) and scores the ranking
//             with metric:head (objective) under constraints metric:head>=C*baseline; prints the
//             trial table and the best feasible weights, optionally writes them into a model copy
//   propose   the online A/B loop: proposes the next q arms of a space (space.toml) from a trial
//             log, appending them as pending trials
//   observe   records the measured objective (and constraint values) of a proposed trial
// Every trial is appended to a JSON-lines log with fsync (tuning/trial_log.h); rerunning the
// same command resumes from it. See docs/tuning.md.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "reco/models/model_file.h"
#include "reco/train/trainer.h"
#include <toml++/toml.h>

#include "reco/tuning/bayes_optimizer.h"
#include "reco/tuning/search_space.h"
#include "reco/tuning/trial_log.h"
#include "reco/tuning/utility_objective.h"
#include "split_rows.h"

namespace reco::cli {

namespace {
using tuning::Trial;
using tuning::TrialLog;
using tuning::TrialStatus;

struct UtilityArgs {
  std::string model, data, split, group, objective, baseline, log, write_model, method = "bo";
  std::vector<std::string> constraints, bounds;
  size_t trials = 30, batch = 1, initial = 0;
  double weight_sum = 1.0;
  bool baseline_trial = true;
};

std::string fmt_weights(const std::vector<std::string>& heads, const std::vector<double>& w) {
  std::string s;
  for (size_t t = 0; t < heads.size(); ++t) s += fmt::format("{}{}={:.4g}", t ? "," : "", heads[t], w[t]);
  return s;
}

std::vector<tuning::Observation> observations(const TrialLog& log, std::vector<std::vector<double>>* pending) {
  std::vector<tuning::Observation> done;
  for (const auto& t : log.trials()) {
    if (t.status == TrialStatus::kComplete)
      done.push_back({t.unit, t.value, t.constraints});
    else if (t.status == TrialStatus::kPending && pending)
      pending->push_back(t.unit);
  }
  return done;
}

// The request column: --group, else the dataset's query_id, else its user_id column.
std::string request_column(const Dataset& ds, const std::string& given) {
  if (!given.empty()) return given;
  for (ColumnRole role : {ColumnRole::kQueryId, ColumnRole::kUserId})
    for (const auto& c : ds.columns())
      if (c.role == role) return c.name;
  RECO_THROW(ErrorCode::kInvalidArgument) << ds.path() << ": no query_id or user_id column to group requests by; pass --group";
}

// The unit-cube point whose normalized weights equal `baseline`, if some positive multiple of
// it lies inside the box of per-head bounds.
std::optional<std::vector<double>> baseline_unit(const tuning::SearchSpace& space, const std::vector<double>& baseline) {
  double scale = INFINITY;
  for (size_t t = 0; t < baseline.size(); ++t)
    if (baseline[t] > 0) scale = std::min(scale, space.params()[t].upper / baseline[t]);
  if (!std::isfinite(scale) || scale <= 0) return std::nullopt;
  std::vector<double> x(baseline.size());
  for (size_t t = 0; t < x.size(); ++t) {
    x[t] = std::min(baseline[t] * scale, space.params()[t].upper);
    if (x[t] < space.params()[t].lower) return std::nullopt;
  }
  auto u = space.to_unit(x);
  for (auto& v : u) v = std::clamp(v, 0.0, 1.0);
  return u;
}

Action setup_utility(CLI::App* sub, GlobalOptions& global) {
  auto a = std::make_shared<UtilityArgs>();
  sub->add_option("--model", a->model, "Multi-task model written by reco train")->required();
  sub->add_option("--data", a->data, "Dataset of logged candidate lists with the heads' labels")->required();
  sub->add_option("--split", a->split, "Rows to tune on: train|validation|test|all (default validation if present, "
                                       "else test, else all)");
  sub->add_option("--group", a->group, "Request id column (default: query_id, else user_id column)");
  sub->add_option("--objective", a->objective, "metric:head to maximize, e.g. pr_auc:long_click")->required();
  sub->add_option("--constraint", a->constraints, "metric:head>=C*baseline | >=baseline | >=NUMBER (repeatable)");
  sub->add_option("--baseline-weights", a->baseline, "Baseline utility weights (click=1,save=2 or 1,2; default: the "
                                                     "model's)");
  sub->add_option("--bounds", a->bounds, "Per-head weight bounds head=LO:HI before normalization (default 0:1)");
  sub->add_option("--weight-sum", a->weight_sum, "Weights are normalized to sum to this")->capture_default_str();
  sub->add_option("--trials", a->trials, "Total trials (a resumed log counts its finished ones)")->capture_default_str();
  sub->add_option("--batch", a->batch, "Trials proposed together (kriging-believer batch)")->capture_default_str();
  sub->add_option("--initial", a->initial, "Sobol initial design size (0: max(5, 2 x heads))")->capture_default_str();
  sub->add_option("--method", a->method, "bo | random (uniform random search, for comparison)")->capture_default_str();
  sub->add_option("--log", a->log, "Trial log (JSON lines, resumed when it exists)")->required();
  sub->add_option("--baseline-trial", a->baseline_trial,
                  "Evaluate the baseline weights as trial 0 (the status-quo arm) when they lie in the bounds")
      ->capture_default_str();
  sub->add_option("--write-model", a->write_model, "Write the model with the best feasible weights to this file");
  return [a, &global]() -> int {
    RECO_CHECK(a->method == "bo" || a->method == "random") << "--method must be bo or random, got '" << a->method << "'";
    RECO_CHECK(a->weight_sum > 0) << "--weight-sum must be positive";
    RunContext ctx = global.context();
    auto loaded = models::load_model(a->model);
    Dataset ds = Dataset::open(a->data);
    std::string split = a->split;
    if (split.empty()) {
      split = "all";
      for (uint8_t s : ds.split()) {
        if (s == 1) { split = "validation"; break; }
        if (s == 2) split = "test";
      }
    }
    const auto rows = rows_of_split(ds, split);
    RECO_CHECK(!rows.empty()) << a->data << ": split '" << split << "' has no rows";
    const auto& features = loaded.model.features();
    models::check_features(features, ds, /*require_label=*/true);

    tuning::UtilityData data;
    for (const auto& t : features.tasks) data.heads.push_back(t.name);
    const size_t nt = data.heads.size();
    RECO_CHECK(nt >= 2) << a->model << ": utility tuning needs a multi-task model (it has " << nt << " head)";
    data.predictions = train::predict_rows(loaded.model, ds, rows, ctx);
    loaded.scoring.calibrate(data.predictions);
    for (const auto& t : features.tasks) data.labels.push_back(models::task_labels(t, ds, rows));
    const std::string gcol = request_column(ds, a->group);
    const auto groups = ds.u32(gcol);
    for (uint64_t r : rows) data.groups.push_back(groups[r]);
    if (!features.weight.empty()) {
      const auto sw = ds.f32(features.weight);
      for (uint64_t r : rows) data.sample_weights.push_back(sw[r]);
    }

    const auto objective = tuning::parse_utility_metric(a->objective, data.heads);
    std::vector<tuning::UtilityConstraint> constraints;
    for (const auto& c : a->constraints) constraints.push_back(tuning::parse_utility_constraint(c, data.heads));
    const std::vector<double> baseline = tuning::normalize_weights(
        a->baseline.empty() ? loaded.scoring.weights : loaded.scoring.parse_weights(a->baseline), a->weight_sum);
    std::vector<double> thresholds;
    nlohmann::json baseline_metrics = nlohmann::json::object();
    baseline_metrics[objective.text] = tuning::evaluate_utility_metric(data, objective, baseline);
    for (const auto& c : constraints) {
      const double b = tuning::evaluate_utility_metric(data, c.metric, baseline);
      baseline_metrics[c.metric.text] = b;
      thresholds.push_back(c.absolute ? *c.absolute : c.factor * b);
    }

    std::vector<tuning::Parameter> params;
    for (const auto& h : data.heads) params.push_back({h, 0.0, 1.0, tuning::ParamScale::kLinear});
    for (const auto& b : a->bounds) {
      const size_t eq = b.find('=');
      RECO_CHECK(eq != std::string::npos) << "--bounds '" << b << "': expected head=LO:HI";
      const auto p = tuning::SearchSpace::parse_parameter(b.substr(0, eq) + ":lin:" + b.substr(eq + 1));
      auto it = std::find_if(params.begin(), params.end(), [&](const auto& x) { return x.name == p.name; });
      RECO_CHECK(it != params.end()) << "--bounds '" << b << "': no head '" << p.name << "'";
      RECO_CHECK(p.lower >= 0) << "--bounds '" << b << "': utility weights must be >= 0";
      *it = p;
    }
    const tuning::SearchSpace space(params);

    nlohmann::json cons_json = nlohmann::json::array();
    for (size_t j = 0; j < constraints.size(); ++j)
      cons_json.push_back({{"text", constraints[j].text}, {"threshold", thresholds[j]}});
    const nlohmann::json header = {{"mode", "utility"},   {"model", a->model},         {"data", a->data},
                                   {"split", split},      {"objective", objective.text}, {"constraints", cons_json},
                                   {"space", space.to_json()}, {"weight_sum", a->weight_sum}, {"seed", global.seed},
                                   {"method", a->method}, {"baseline_trial", a->baseline_trial}};
    TrialLog log(a->log, header);
    tuning::BayesOptions bo_opt;
    bo_opt.seed = global.seed;
    bo_opt.initial_points = a->initial;
    bo_opt.noisy = true;
    tuning::BayesOptimizer bo(space.dims(), constraints.size(), bo_opt);
    Rng random(global.seed ^ 0x5eedULL);

    if (!global.quiet && !global.json)
      std::printf("tuning %s on %s (%s, %zu rows): maximize %s, baseline %s = %.5f\n", a->model.c_str(),
                  a->data.c_str(), split.c_str(), rows.size(), objective.text.c_str(),
                  fmt_weights(data.heads, baseline).c_str(), baseline_metrics[objective.text].get<double>());
    auto evaluate = [&](Trial t) {
      const auto w = tuning::normalize_weights(space.from_unit(t.unit), a->weight_sum);
      t.params = w;
      t.value = tuning::evaluate_utility_metric(data, objective, w);
      t.constraints.clear();
      t.info = {{objective.text, t.value}};
      for (size_t j = 0; j < constraints.size(); ++j) {
        const double v = tuning::evaluate_utility_metric(data, constraints[j].metric, w);
        t.info[constraints[j].metric.text] = v;
        t.constraints.push_back(v - thresholds[j]);
      }
      if (!std::isfinite(t.value)) {
        t.status = TrialStatus::kFailed;
      } else {
        t.status = TrialStatus::kComplete;
      }
      log.append(t);
      if (!global.quiet && !global.json) {
        const bool ok = std::all_of(t.constraints.begin(), t.constraints.end(), [](double s) { return s >= 0; });
        std::printf("  trial %3lld  %s  %s %.5f  %s\n", (long long)t.id, fmt_weights(data.heads, w).c_str(),
                    objective.text.c_str(), t.value, ok ? "feasible" : "infeasible");
      }
    };
    // A crash between a trial's pending and complete records: evaluate it again (offline
    // evaluation is deterministic).
    for (const auto& t : std::vector<Trial>(log.trials()))
      if (t.status == TrialStatus::kPending) evaluate(t);
    // The status-quo arm first (as Ax does): the baseline is feasible for every relative
    // constraint with C <= 1, so the search starts from a feasible point and never returns
    // weights worse than the baseline. Scale-invariance lets any positive multiple stand for
    // it: the largest one inside the upper bounds, kept only if it also respects the lower ones.
    if (a->baseline_trial && log.trials().empty()) {
      const auto unit = baseline_unit(space, baseline);
      if (unit) {
        Trial t;
        t.id = log.next_id();
        t.unit = *unit;
        t.params = tuning::normalize_weights(space.from_unit(*unit), a->weight_sum);
        log.append(t);
        evaluate(t);
      } else if (!global.quiet && !global.json) {
        std::printf("  (baseline weights are outside --bounds: no baseline trial)\n");
      }
    }
    while (true) {
      const auto done = observations(log, nullptr);
      if (done.size() >= a->trials) break;
      const size_t q = std::min(a->batch, a->trials - done.size());
      std::vector<std::vector<double>> points;
      if (a->method == "random") {
        for (size_t i = 0; i < q; ++i) {
          std::vector<double> u(space.dims());
          for (auto& v : u) v = random.uniform();
          points.push_back(u);
        }
      } else {
        points = bo.propose(done, {}, q);
      }
      std::vector<Trial> batch;
      for (auto& u : points) {
        Trial t;
        t.id = log.next_id();
        t.unit = u;
        t.params = tuning::normalize_weights(space.from_unit(u), a->weight_sum);
        log.append(t);  // pending: the proposal survives a crash during evaluation
        batch.push_back(t);
      }
      for (auto& t : batch) evaluate(t);
    }

    const auto done = observations(log, nullptr);
    std::vector<Trial> complete;
    for (const auto& t : log.trials())
      if (t.status == TrialStatus::kComplete) complete.push_back(t);
    const auto best = tuning::BayesOptimizer::best_feasible(done);
    nlohmann::json out = {{"log", a->log},       {"trials", done.size()}, {"objective", objective.text},
                          {"baseline", {{"weights", baseline}, {"metrics", baseline_metrics}}},
                          {"heads", data.heads}, {"constraints", cons_json}};
    if (best) {
      const Trial& t = complete[*best];
      out["best"] = {{"trial", t.id}, {"weights", t.params}, {"metrics", t.info}};
      if (!a->write_model.empty()) {
        models::HeadScoring scoring = loaded.scoring;
        scoring.weights = t.params;
        models::SaveOptions so;
        so.extra = loaded.extra;
        so.scoring = &scoring;
        models::save_model(a->write_model, loaded.model, so);
        out["written"] = a->write_model;
      }
    } else {
      out["best"] = nullptr;
    }
    if (global.json) {
      std::printf("%s\n", out.dump(2).c_str());
    } else if (!global.quiet) {
      if (best) {
        const Trial& t = complete[*best];
        std::printf("best feasible: trial %lld  %s\n  %s\n", (long long)t.id, fmt_weights(data.heads, t.params).c_str(),
                    t.info.dump().c_str());
        std::printf("baseline:      %s\n  %s\n", fmt_weights(data.heads, baseline).c_str(), baseline_metrics.dump().c_str());
        if (!a->write_model.empty()) std::printf("model with these weights written to %s\n", a->write_model.c_str());
      } else {
        std::printf("no feasible trial among %zu (constraints too tight?)\n", done.size());
      }
    }
    return best ? 0 : 1;
  };
}

// --- online loop: propose / observe -------------------------------------------------------

struct ProposeArgs {
  std::string space, log;
  size_t batch = 1, initial = 0;
};

// The online header: the space and its outcome constraints (space.toml [[constraint]] name,
// min) so that `observe` can turn raw constraint values into slacks.
nlohmann::json online_header(const std::string& space_path, uint64_t seed) {
  const tuning::SearchSpace space = tuning::SearchSpace::from_toml(space_path);
  nlohmann::json cons = nlohmann::json::array();
  toml::table root = toml::parse_file(space_path);
  if (const toml::array* arr = root["constraint"].as_array()) {
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::table* t = arr->get(i)->as_table();
      auto name = t ? (*t)["name"].value<std::string>() : std::nullopt;
      auto min = t ? (*t)["min"].value<double>() : std::nullopt;
      RECO_CHECK_CODE(name && min, ErrorCode::kParse)
          << space_path << ": constraint #" << i + 1 << " needs name and min (value >= min is feasible)";
      cons.push_back({{"name", *name}, {"min", *min}});
    }
  }
  return {{"mode", "online"}, {"space", space.to_json()}, {"constraints", cons}, {"seed", seed}};
}

Action setup_propose(CLI::App* sub, GlobalOptions& global) {
  auto a = std::make_shared<ProposeArgs>();
  sub->add_option("--space", a->space, "space.toml: [[param]] name/lower/upper/scale, [[constraint]] name/min")
      ->required();
  sub->add_option("--log", a->log, "Trial log (created on first use)")->required();
  sub->add_option("--batch", a->batch, "Arms to propose")->capture_default_str();
  sub->add_option("--initial", a->initial, "Sobol initial design size (0: max(5, 2 x dims))")->capture_default_str();
  return [a, &global]() -> int {
    const nlohmann::json header = online_header(a->space, global.seed);
    const tuning::SearchSpace space = tuning::SearchSpace::from_toml(a->space);
    TrialLog log(a->log, header);
    tuning::BayesOptions opt;
    opt.seed = global.seed;
    opt.initial_points = a->initial;
    tuning::BayesOptimizer bo(space.dims(), header["constraints"].size(), opt);
    std::vector<std::vector<double>> pending;
    const auto done = observations(log, &pending);
    nlohmann::json arms = nlohmann::json::array();
    for (const auto& u : bo.propose(done, pending, a->batch)) {
      Trial t;
      t.id = log.next_id();
      t.unit = u;
      t.params = space.from_unit(u);
      log.append(t);
      nlohmann::json p = nlohmann::json::object();
      for (size_t i = 0; i < space.dims(); ++i) p[space.params()[i].name] = t.params[i];
      arms.push_back({{"trial", t.id}, {"params", p}});
      if (!global.json) std::printf("trial %lld  %s\n", (long long)t.id, p.dump().c_str());
    }
    if (global.json) std::printf("%s\n", nlohmann::json{{"log", a->log}, {"arms", arms}}.dump(2).c_str());
    return 0;
  };
}

struct ObserveArgs {
  std::string log;
  int64_t trial = -1;
  double value = NAN;
  std::vector<double> constraint_values;
  bool failed = false;
};

Action setup_observe(CLI::App* sub, GlobalOptions& global) {
  auto a = std::make_shared<ObserveArgs>();
  sub->add_option("--log", a->log, "Trial log written by reco tune propose")->required();
  sub->add_option("--trial", a->trial, "Trial id printed by propose")->required();
  sub->add_option("--value", a->value, "Measured objective (maximized)");
  sub->add_option("--constraint-values", a->constraint_values, "Measured constraint values, in space.toml order")
      ->delimiter(',');
  sub->add_flag("--failed", a->failed, "The arm could not be measured");
  return [a, &global]() -> int {
    const nlohmann::json header = TrialLog::read_header(a->log);
    RECO_CHECK(header.value("mode", "") == "online")
        << a->log << ": observe needs a log started by reco tune propose (this one is '" << header.value("mode", "")
        << "')";
    TrialLog log(a->log, header);
    const auto& trials = log.trials();
    auto it = std::find_if(trials.begin(), trials.end(), [&](const Trial& t) { return t.id == a->trial; });
    RECO_CHECK_CODE(it != trials.end(), ErrorCode::kNotFound) << a->log << ": no trial " << a->trial;
    Trial t = *it;
    const auto& cons = header["constraints"];
    if (a->failed) {
      t.status = TrialStatus::kFailed;
    } else {
      RECO_CHECK(std::isfinite(a->value)) << "observe: give --value (or --failed)";
      RECO_CHECK(a->constraint_values.size() == cons.size())
          << "observe: --constraint-values needs " << cons.size() << " values (" << cons.dump() << "), got "
          << a->constraint_values.size();
      t.status = TrialStatus::kComplete;
      t.value = a->value;
      t.constraints.clear();
      t.info = nlohmann::json::object();
      for (size_t j = 0; j < cons.size(); ++j) {
        t.constraints.push_back(a->constraint_values[j] - cons[j]["min"].get<double>());
        t.info[cons[j]["name"].get<std::string>()] = a->constraint_values[j];
      }
    }
    if (it->status != TrialStatus::kPending && !global.quiet)
      std::fprintf(stderr, "reco tune observe: trial %lld was already %s; the new record replaces it\n",
                   (long long)a->trial, tuning::trial_status_name(it->status));
    log.append(t);
    if (global.json)
      std::printf("%s\n", TrialLog::to_json(t).dump().c_str());
    else if (!global.quiet)
      std::printf("trial %lld recorded (%s)\n", (long long)t.id, tuning::trial_status_name(t.status));
    return 0;
  };
}

// --- hyperparameters of reco train ------------------------------------------------------

struct TrainArgs {
  std::string config, space, objective, log, work_dir, write_config;
  size_t trials = 20, batch = 1, initial = 0;
  bool minimize = false;
};

// Sets a dotted key ("optimizer.lr") of a TOML table, creating the tables on the way. Integer
// parameters are written as TOML integers (the config reader wants them for dims, epochs...).
void set_dotted(toml::table& root, const std::string& key, double value, bool integer) {
  toml::table* t = &root;
  size_t start = 0;
  while (true) {
    const size_t dot = key.find('.', start);
    const std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    RECO_CHECK(!part.empty()) << "space parameter '" << key << "': empty part in the dotted config key";
    if (dot == std::string::npos) {
      if (integer)
        t->insert_or_assign(part, static_cast<int64_t>(std::llround(value)));
      else
        t->insert_or_assign(part, value);
      return;
    }
    toml::node* n = t->get(part);
    if (!n) n = &t->insert_or_assign(part, toml::table{}).first->second;
    RECO_CHECK(n->is_table()) << "space parameter '" << key << "': '" << part << "' is not a table in the config";
    t = n->as_table();
    start = dot + 1;
  }
}

// A relative path of the base config made absolute (trial configs live in another directory).
void absolutize(toml::table& root, const char* table, const char* key, const std::filesystem::path& base_dir) {
  toml::table* t = root[table].as_table();
  if (!t) return;
  auto v = (*t)[key].value<std::string>();
  if (!v || v->empty() || std::filesystem::path(*v).is_absolute()) return;
  t->insert_or_assign(key, (base_dir / *v).lexically_normal().string());
}

// Runs `reco train` on one config in a child process (a crashing trial fails alone); stdout (the
// --json report) and stderr go to files. Returns the exit status (-1 when it did not exit).
int run_train(const GlobalOptions& global, const std::string& config, const std::string& out_json,
              const std::string& err_log) {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  RECO_CHECK_CODE(n > 0, ErrorCode::kIo) << "reco tune train: cannot find the reco binary (/proc/self/exe)";
  self[n] = 0;
  const std::string threads = std::to_string(global.threads), seed = std::to_string(global.seed);
  std::vector<std::string> args = {self, "-q", "--json", "--threads", threads, "--seed", seed, "train", "--config", config};
  const pid_t pid = ::fork();
  RECO_CHECK_CODE(pid >= 0, ErrorCode::kIo) << "reco tune train: fork failed";
  if (pid == 0) {
    const int out = ::open(out_json.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0) ::_exit(127);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(self, argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The validation metrics of the best epoch of a `reco train --json` report.
nlohmann::json best_epoch_metrics(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const auto j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.contains("epochs") || !j["epochs"].is_array() || j["epochs"].empty())
    return nlohmann::json::object();
  const auto& epochs = j["epochs"];
  const int64_t best = j.value("best_epoch", static_cast<int64_t>(epochs.size()));
  for (const auto& e : epochs)
    if (e.value("epoch", int64_t{-1}) == best && e.contains("metrics")) return e["metrics"];
  return epochs.back().value("metrics", nlohmann::json::object());
}

Action setup_tune_train(CLI::App* sub, GlobalOptions& global) {
  auto a = std::make_shared<TrainArgs>();
  sub->add_option("--config", a->config, "Base training config (TOML) of reco train")->required();
  sub->add_option("--space", a->space, "space.toml: [[param]] name = dotted config key (e.g. optimizer.lr), lower, "
                                       "upper, scale; [[constraint]] name = metric, min")
      ->required();
  sub->add_option("--objective", a->objective, "Validation metric of the best epoch, e.g. auc or buy/auc")->required();
  sub->add_flag("--minimize", a->minimize, "Minimize the objective (e.g. logloss)");
  sub->add_option("--trials", a->trials, "Total trials (a resumed log counts its finished ones)")->capture_default_str();
  sub->add_option("--batch", a->batch, "Trials proposed together (kriging-believer batch)")->capture_default_str();
  sub->add_option("--initial", a->initial, "Sobol initial design size (0: max(5, 2 x dims))")->capture_default_str();
  sub->add_option("--log", a->log, "Trial log (JSON lines, resumed when it exists)")->required();
  sub->add_option("--work-dir", a->work_dir, "Trial configs, models and reports (default: <log>.d)");
  sub->add_option("--write-config", a->write_config, "Write the best trial's config to this file");
  return [a, &global]() -> int {
    namespace fs = std::filesystem;
    const tuning::SearchSpace space = tuning::SearchSpace::from_toml(a->space);
    const nlohmann::json online = online_header(a->space, global.seed);
    const auto& cons = online["constraints"];
    toml::table base;
    try {
      base = toml::parse_file(a->config);
    } catch (const toml::parse_error& e) {
      RECO_THROW(ErrorCode::kParse) << a->config << ":" << e.source().begin.line << ": " << e.description();
    }
    const fs::path base_dir = fs::absolute(a->config).parent_path();
    absolutize(base, "data", "path", base_dir);
    absolutize(base, "train", "checkpoint", base_dir);
    absolutize(base, "train", "resume", base_dir);
    const std::string dir = a->work_dir.empty() ? a->log + ".d" : a->work_dir;
    fs::create_directories(dir);
    const nlohmann::json header = {{"mode", "train"},          {"config", fs::absolute(a->config).string()},
                                   {"space", space.to_json()}, {"constraints", cons},
                                   {"objective", a->objective}, {"minimize", a->minimize},
                                   {"seed", global.seed}};
    TrialLog log(a->log, header);
    tuning::BayesOptions opt;
    opt.seed = global.seed;
    opt.initial_points = a->initial;
    opt.noisy = true;
    tuning::BayesOptimizer bo(space.dims(), cons.size(), opt);

    auto evaluate = [&](Trial t) {
      toml::table cfg = base;
      for (size_t i = 0; i < space.dims(); ++i)
        set_dotted(cfg, space.params()[i].name, t.params[i], space.params()[i].scale == tuning::ParamScale::kInteger);
      const std::string stem = (fs::path(dir) / fmt::format("trial{}", t.id)).string();
      set_dotted(cfg, "output.model", 0, false);  // make sure [output] exists, then set the path
      cfg["output"].as_table()->insert_or_assign("model", fs::absolute(stem + ".model").string());
      {
        std::ofstream out(stem + ".toml");
        out << cfg << "\n";
        RECO_CHECK_CODE(out.good(), ErrorCode::kIo) << stem << ".toml: write failed";
      }
      const int rc = run_train(global, stem + ".toml", stem + ".json", stem + ".log");
      const nlohmann::json metrics = best_epoch_metrics(stem + ".json");
      t.info = {{"config", stem + ".toml"}, {"exit", rc}, {"metrics", metrics}};
      t.constraints.clear();
      bool ok = rc == 0 && metrics.contains(a->objective) && metrics[a->objective].is_number();
      if (ok) {
        const double v = metrics[a->objective].get<double>();
        t.value = a->minimize ? -v : v;
        for (const auto& c : cons) {
          const std::string name = c["name"].get<std::string>();
          ok = ok && metrics.contains(name) && metrics[name].is_number();
          if (ok) t.constraints.push_back(metrics[name].get<double>() - c["min"].get<double>());
        }
        ok = ok && std::isfinite(t.value);
      }
      t.status = ok ? TrialStatus::kComplete : TrialStatus::kFailed;
      if (!ok && !global.quiet)
        std::fprintf(stderr, "reco tune train: trial %lld failed (exit %d; metrics %s; see %s.log)\n",
                     (long long)t.id, rc, metrics.dump().c_str(), stem.c_str());
      log.append(t);
      if (!global.quiet && !global.json) {
        nlohmann::json p = nlohmann::json::object();
        for (size_t i = 0; i < space.dims(); ++i) p[space.params()[i].name] = t.params[i];
        std::printf("  trial %3lld  %s  %s %s\n", (long long)t.id, p.dump().c_str(), a->objective.c_str(),
                    ok ? fmt::format("{:.5f}", a->minimize ? -t.value : t.value).c_str() : "failed");
      }
    };
    for (const auto& t : std::vector<Trial>(log.trials()))
      if (t.status == TrialStatus::kPending) evaluate(t);
    while (true) {
      size_t finished = 0;
      for (const auto& t : log.trials()) finished += t.status != TrialStatus::kPending;
      if (finished >= a->trials) break;
      const auto done = observations(log, nullptr);
      std::vector<Trial> batch;
      for (auto& u : bo.propose(done, {}, std::min(a->batch, a->trials - finished))) {
        Trial t;
        t.id = log.next_id();
        t.unit = u;
        t.params = space.from_unit(u);
        log.append(t);
        batch.push_back(t);
      }
      for (auto& t : batch) evaluate(t);
    }

    std::vector<Trial> complete;
    for (const auto& t : log.trials())
      if (t.status == TrialStatus::kComplete) complete.push_back(t);
    const auto best = tuning::BayesOptimizer::best_feasible(observations(log, nullptr));
    nlohmann::json out = {{"log", a->log}, {"trials", log.trials().size()}, {"objective", a->objective},
                          {"minimize", a->minimize}};
    if (best) {
      const Trial& t = complete[*best];
      nlohmann::json p = nlohmann::json::object();
      for (size_t i = 0; i < space.dims(); ++i) p[space.params()[i].name] = t.params[i];
      out["best"] = {{"trial", t.id}, {"params", p}, {"metrics", t.info["metrics"]}, {"config", t.info["config"]}};
      if (!a->write_config.empty()) {
        fs::copy_file(t.info["config"].get<std::string>(), a->write_config, fs::copy_options::overwrite_existing);
        out["written"] = a->write_config;
      }
      if (!global.json && !global.quiet)
        std::printf("best: trial %lld  %s  %s = %.5f\n", (long long)t.id, p.dump().c_str(), a->objective.c_str(),
                    a->minimize ? -t.value : t.value);
    } else {
      out["best"] = nullptr;
      if (!global.json && !global.quiet) std::printf("no feasible finished trial among %zu\n", complete.size());
    }
    if (global.json) std::printf("%s\n", out.dump(2).c_str());
    return best ? 0 : 1;
  };
}
}  // namespace

Action setup_tune(CLI::App& sub, GlobalOptions& global) {
  sub.require_subcommand(1);
  auto table = std::make_shared<std::vector<std::pair<CLI::App*, Action>>>();
  auto add = [&](const char* name, const char* help, auto setup) {
    CLI::App* app = sub.add_subcommand(name, help);
    table->emplace_back(app, setup(app, global));
  };
  add("utility", "Tune a multi-task model's utility weights offline under metric constraints", setup_utility);
  add("train", "Tune reco train hyperparameters (config keys) on a validation metric", setup_tune_train);
  add("propose", "Propose the next arms of a search space (online A/B loop)", setup_propose);
  add("observe", "Record the measured result of a proposed arm", setup_observe);
  return [table]() -> int {
    for (auto& [app, action] : *table)
      if (app->parsed()) return action();
    RECO_THROW(ErrorCode::kInvalidArgument) << "reco tune: give a subcommand (see --help)";
  };
}

}  // namespace reco::cli
