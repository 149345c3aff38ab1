// reco — one binary, one subcommand per job. This file is the edge of the error model:
// every reco::Error becomes one line on stderr and an exit code (see core/error.h).
#include <cstdio>
#include <exception>
#include <new>
#include <vector>

#include "commands.h"
#include "reco/core/error.h"
#include "reco/core/log.h"

namespace reco::cli {

RunContext GlobalOptions::context() const {
  RunContext ctx;
  ctx.threads = threads <= 0 ? RunContext::hardware_threads() : threads;
  ctx.seed = seed;
  ctx.quiet = quiet;
  ctx.json = json;
  return ctx;
}

static const std::vector<Command>& command_table() {
  static const std::vector<Command> table = {
      {"quickstart", "Run the main job end to end on the shared data (or generated data)", setup_quickstart},
      {"ingest", "Read CSV/TSV/edge lists into a columnar dataset file", setup_ingest},
      {"inspect", "Describe a reco artifact (dataset: schema, rows, label rates, statistics)", setup_inspect},
      {"gen", "Generate synthetic datasets", setup_gen},
      {"samples", "Build training samples from event logs (engagement: per user-item multi-label rows)", setup_samples},
      {"train", "Train a ranking model (DLRM, MLP, wide & deep, LR; multi-task heads) from a TOML config", setup_train},
      {"eval", "Metrics of a saved model on a dataset split", setup_eval},
      {"predict", "Score dataset rows with a saved model", setup_predict},
      {"rank", "Rank candidate lists by the utility over calibrated heads; per-head AUC, utility NDCG@k", setup_rank},
      {"simulate", "Generate a seeded engagement log with its ground truth (positions, examination, cascade)", setup_simulate},
      {"memboost", "Memboost: per-position priors, COEC counters from events, scores, insertion, ranking features", setup_memboost},
      {"candidates", "Candidate generation: build, query and evaluate sources (graph walks, co-occurrence, ...)", setup_candidates},
      {"tune", "Bayesian optimization of utility weights and hyperparameters (GP + expected improvement)", setup_tune},
      {"bundle", "Serving bundles: build, check, and answer a request offline", setup_bundle},
      {"serve", "HTTP daemon: the cascade online, events, live reload, web page, metrics", setup_serve},
      {"bench", "Benchmarks (train: DLRM random-data throughput)", setup_bench},
      {"version", "Print the version", setup_version},
  };
  return table;
}

static int run(int argc, char** argv) {
  CLI::App app{"reco — a self-contained recommender engine"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand: `reco inspect --json f`
  GlobalOptions global;
  app.add_option("--threads", global.threads, "Worker threads (0 = all cores)")->capture_default_str();
  app.add_option("--seed", global.seed, "Root random seed")->capture_default_str();
  app.add_flag("-q,--quiet", global.quiet, "No progress display, warnings and errors only");
  app.add_flag("--json", global.json, "Machine-readable JSON on stdout");
  app.add_option("--log-level", global.log_level, "trace|debug|info|warn|error")->capture_default_str();

  std::vector<std::pair<CLI::App*, Action>> actions;
  for (const auto& cmd : command_table()) {
    CLI::App* sub = app.add_subcommand(cmd.name, cmd.help);
    actions.emplace_back(sub, cmd.setup(*sub, global));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  init_logging(global.log_level, global.quiet);
  for (auto& [sub, action] : actions) {
    if (sub->parsed()) return action();
  }
  return 2;
}

}  // namespace reco::cli

int main(int argc, char** argv) {
  try {
    return reco::cli::run(argc, argv);
  } catch (const reco::Error& e) {
    std::fprintf(stderr, "reco: error[%s]: %s\n", std::string(reco::error_code_name(e.code())).c_str(),
                 e.message().c_str());
    return reco::exit_code(e.code());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "reco: error[resource_exhausted]: out of memory\n");
    return reco::exit_code(reco::ErrorCode::kResourceExhausted);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reco: error[internal]: %s\n", e.what());
    return reco::exit_code(reco::ErrorCode::kInternal);
  }
}
