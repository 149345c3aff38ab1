// simulate() — writes a seeded engagement log with its ground truth into a directory:
//   events.csv       the log (data/event_log.h), sorted by (timestamp, request_id, position)
//   truth.csv        row-aligned with events.csv: true relevance and unconditional p_* per row
//   items.csv        observed item features      users.csv  observed user features
//   examination.csv  the true examination curve per (platform, position)
//   sim.json         config, seed, counts, alpha, holdout window, true mean rates
// docs/simulator.md states the generative model. Same (config, seed) -> byte-identical files.
// Single-threaded: one Rng stream per purpose, derived from ctx.seed.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/core/context.h"
#include "reco/sim/sim_config.h"

namespace reco::sim {

/// Sums over generated impressions (before downsampling) for one slice.
struct RateSums {
  uint64_t impressions = 0;
  std::array<uint64_t, kEngagementTypes> engaged{};  ///< sampled engagements
  std::array<double, kEngagementTypes> truth{};      ///< sum of the true p_*
  double examine = 0;                                ///< sum of p_examine
};

struct SimReport {
  uint64_t seed = 0;
  double alpha = 1.0;
  uint64_t requests = 0;
  uint64_t query_requests = 0;
  std::array<uint64_t, 3> policy_requests{};  ///< popularity, model, random
  uint64_t impressions_generated = 0;
  uint64_t impressions_logged = 0;
  uint64_t impressions_holdout = 0;           ///< logged rows inside the holdout window
  int64_t holdout_start = 0;
  int64_t holdout_end = 0;
  RateSums all;                      ///< every generated impression
  std::vector<RateSums> random_by_position;  ///< random-policy slice, index = position - 1
  double world_seconds = 0;
  double seconds = 0;

  /// The deterministic part (sim.json "counts"/"rates"; no timings).
  nlohmann::json to_json() const;
};

/// Names of the policies, indexed as SimReport::policy_requests.
inline constexpr std::array<const char*, 3> kPolicyNames = {"popularity", "model", "random"};

/// Generates the world and the log under `out_dir` (created if missing). Shows progress on a
/// TTY unless ctx.quiet. Throws kInvalidArgument for an invalid config, kIo on write failure.
SimReport simulate(const SimConfig& config, const std::string& out_dir, const RunContext& ctx);

}  // namespace reco::sim
