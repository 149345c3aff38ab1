// The subcommand table of the `reco` CLI. Each subcommand lives in its own cmd_<name>.cc
// and registers its options on a CLI11 subcommand; `run` executes it after parsing.
// Errors are thrown as reco::Error and converted to one line + exit code in main.cc.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>

#include "reco/core/context.h"

namespace reco::cli {

/// Global options shared by every subcommand.
struct GlobalOptions {
  int threads = 1;      ///< --threads (0 = all hardware threads)
  uint64_t seed = 42;   ///< --seed
  bool quiet = false;   ///< --quiet: no progress, no info logs
  bool json = false;    ///< --json: machine-readable output on stdout
  std::string log_level = "info";

  RunContext context() const;
};

/// A registered subcommand: `setup` adds options to `sub` and returns the action.
using Action = std::function<int()>;
using Setup = std::function<Action(CLI::App& sub, GlobalOptions& global)>;

struct Command {
  const char* name;
  const char* help;
  Setup setup;
};

// One function per cmd_<name>.cc.
Action setup_version(CLI::App& sub, GlobalOptions& global);
Action setup_ingest(CLI::App& sub, GlobalOptions& global);
Action setup_inspect(CLI::App& sub, GlobalOptions& global);
Action setup_train(CLI::App& sub, GlobalOptions& global);
Action setup_eval(CLI::App& sub, GlobalOptions& global);
Action setup_predict(CLI::App& sub, GlobalOptions& global);
Action setup_bench(CLI::App& sub, GlobalOptions& global);
Action setup_gen(CLI::App& sub, GlobalOptions& global);
Action setup_quickstart(CLI::App& sub, GlobalOptions& global);
Action setup_samples(CLI::App& sub, GlobalOptions& global);
Action setup_rank(CLI::App& sub, GlobalOptions& global);
Action setup_simulate(CLI::App& sub, GlobalOptions& global);
Action setup_memboost(CLI::App& sub, GlobalOptions& global);
Action setup_candidates(CLI::App& sub, GlobalOptions& global);
Action setup_tune(CLI::App& sub, GlobalOptions& global);
Action setup_bundle(CLI::App& sub, GlobalOptions& global);
Action setup_serve(CLI::App& sub, GlobalOptions& global);

}  // namespace reco::cli
