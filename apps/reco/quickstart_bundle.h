// The serving step of `reco quickstart`: from the interactions and the trained ranker to a
// bundle `reco serve` can load (candidate sources: Pixie graph, co-occurrence, popular; the
// Memboost store and priors when the log has positions).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/core/context.h"
#include "reco/retrieval/interactions.h"

namespace reco::cli {

struct QuickstartBundleInputs {
  std::string dir;                        ///< the quickstart's working folder; the bundle goes to dir/bundle
  std::string name;                       ///< bundle name ("taobao", "sim")
  std::string model, dataset;
  std::vector<Interaction> interactions;  ///< user histories (sorted by user, time)
  std::string events;                     ///< event log with positions ("" = no Memboost)
  std::string priors;                     ///< Memboost priors JSON (with events)
};

/// Builds graph, co-occurrence and (with events) the Memboost store, then the bundle. Returns
/// the bundle manifest.
nlohmann::json build_quickstart_bundle(const QuickstartBundleInputs& in, const RunContext& ctx);

}  // namespace reco::cli
