// The `reco candidates` subcommand tree, one file per family of sources:
//   cmd_candidates.cc            build graph | build cooc | query   (and the dispatch below)
//   cmd_candidates_embed.cc      build item2vec | build hoprec | build import
//   cmd_candidates_twotower.cc   build twotower
//   cmd_candidates_eval.cc       build ann | split | eval
// Each setup_* registers its options on `app` and returns the action run after parsing.
#pragma once

#include "commands.h"

namespace reco::cli {

Action setup_candidates_build_item2vec(CLI::App* app, GlobalOptions& global);
Action setup_candidates_build_hoprec(CLI::App* app, GlobalOptions& global);
Action setup_candidates_build_import(CLI::App* app, GlobalOptions& global);
Action setup_candidates_build_twotower(CLI::App* app, GlobalOptions& global);
Action setup_candidates_build_ann(CLI::App* app, GlobalOptions& global);
Action setup_candidates_split(CLI::App* app, GlobalOptions& global);
Action setup_candidates_eval(CLI::App* app, GlobalOptions& global);

}  // namespace reco::cli
