// The simulator's true engagement model as small stateless functions (docs/simulator.md, "Model"):
// relevance link, examination curve, cascade stage probabilities, and the hash-derived normal that
// gives every (context, item) pair its fixed idiosyncratic term. The sampler and the truth file
// both call these, so the probabilities written are exactly the ones sampled from.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

#include "reco/core/rng.h"
#include "reco/sim/sim_config.h"

namespace reco::sim {

inline double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

/// P(examined | position, platform) = top / position^eta; position is 1-based.
inline double examination_probability(double top, double eta, int position) {
  return top * std::pow(static_cast<double>(position), -eta);
}

/// P(stage | previous stage, r) = lo + (hi - lo) r^gamma: increasing in r for hi > lo.
inline double stage_probability(const StageParams& s, double r) {
  const double shaped = s.gamma == 1.0 ? r : std::pow(r, s.gamma);
  return s.lo + (s.hi - s.lo) * shaped;
}

/// A standard normal that is a fixed function of the 64-bit word h (Box-Muller on two
/// SplitMix64 outputs): the same pair always gets the same value, with no table.
inline double hashed_normal(uint64_t h) {
  const uint64_t a = mix64(h);
  const uint64_t b = mix64(a ^ 0x6a09e667f3bcc909ULL);
  const double u1 = 1.0 - static_cast<double>(a >> 11) * 0x1.0p-53;  // (0, 1]
  const double u2 = static_cast<double>(b >> 11) * 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

/// The 64-bit word of a (context key, item) pair under a salt (seed-derived, one per purpose).
inline uint64_t pair_word(uint64_t salt, uint64_t context_key, uint64_t item) {
  return mix64(salt ^ mix64(context_key * 0x9e3779b97f4a7c15ULL + item));
}

/// True unconditional probabilities of one impression (each includes examination).
struct EngagementProbs {
  double examine = 0, closeup = 0, click = 0, long_click = 0, save = 0;
};

/// Conditional cascade: closeup | examined, click | closeup, long_click | click, save | closeup.
struct CascadeStages {
  double closeup = 0, click = 0, long_click = 0, save = 0;
};

inline CascadeStages cascade_stages(const SimConfig& c, double r) {
  return {stage_probability(c.closeup, r), stage_probability(c.click, r), stage_probability(c.long_click, r),
          stage_probability(c.save, r)};
}

inline EngagementProbs unconditional(double p_examine, const CascadeStages& s) {
  EngagementProbs p;
  p.examine = p_examine;
  p.closeup = p_examine * s.closeup;
  p.click = p.closeup * s.click;
  p.long_click = p.click * s.long_click;
  p.save = p.closeup * s.save;
  return p;
}

}  // namespace reco::sim
