// Bundle — everything `reco serve` needs, packed into one immutable, versioned directory by
// `reco bundle build` and validated by `reco bundle check` (issue 9; docs/serving.md).
//
// Layout of a bundle directory:
//   bundle.json         the manifest (below); written last, so a directory without it is no bundle
//   ranker.model        the multi-task ranker with its calibration and utility weights (model_file.h)
//   features.json       the FeaturePlan (feature_plan.h)
//   items.table         EntityTable of item-side values (entity_table.h)
//   users.table         EntityTable of user-side values (when the dataset has a user key)
//   interactions.csv    user histories for the candidate sources and the popular fallback
//   sources/<file>      candidate-source artifacts (graph, cooc, embed, ann), copied
//   priors.json         Memboost position priors (when the bundle has Memboost)
//   memboost/           a RocksDB snapshot of the Memboost counters: the seed of a server's live
//                       store (copied into the server's state directory, never opened in place)
// Manifest bundle.json:
//   {"format": "reco-bundle", "format_version": 1, "name", "created" (UTC ISO-8601),
//    "version": "<name>-<16 hex>" (the hex = XXH3 over every file's path, size and checksum:
//    equal content, equal version), "files": {"<relative path>": {"bytes", "xxh3"}},
//    "sources": [{"spec": "pixie:sources/x.graph,quota=300", "label", "kind", "quota"}],
//    "candidates": default candidates ranked per request, "memboost": {"priors", "store"} | null,
//    "reliability": {head: [{"p", "rate", "count"}]} (calibrated heads on held-out rows),
//    "dataset": {"path", "rows"}, "model": {"path", "heads"}}
// Immutability: build writes into "<out>.tmp-<pid>" and renames it to <out> in one step; a
// server swaps whole bundles (bundle_service.h), never files inside one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/core/context.h"

namespace reco::serve {

inline constexpr const char* kBundleFormat = "reco-bundle";
inline constexpr uint32_t kBundleVersion = 1;

struct BundleOptions {
  std::string model;                 ///< ranker (reco train)
  std::string dataset;               ///< the dataset the ranker was trained on (schema, vocabularies, tables)
  std::string interactions;          ///< interactions CSV (user histories; popular fallback); optional
  std::vector<std::string> sources;  ///< candidate source specs (serve/candidate_sources.h)
  std::string priors;                ///< Memboost priors JSON; optional
  std::string memboost_store;        ///< Memboost RocksDB store to snapshot; optional (needs priors)
  std::string memboost_weights;      ///< mb_score weights "click=1,save=2" ("" = all 1)
  double memboost_smoothing = 5.0;   ///< the pseudo-count the Memboost features were built with
  size_t candidates = 1000;          ///< default candidates ranked per request
  size_t reliability_rows = 50000;   ///< held-out rows scored for the reliability bins (0 = none)
  std::string name = "bundle";
  bool force = false;                ///< replace an existing <out>
};

/// Builds the bundle into `out` (atomically). Returns the manifest.
nlohmann::json build_bundle(const BundleOptions& options, const std::string& out, const RunContext& ctx);

/// Reads bundle.json and checks every listed file's size and XXH3 (and that no file is missing).
/// Throws kNotFound / kCorrupt naming the file. Returns the manifest.
nlohmann::json verify_bundle(const std::string& dir);

/// XXH3 of a whole file, as 16 lowercase hex digits.
std::string file_checksum(const std::string& path);

}  // namespace reco::serve
