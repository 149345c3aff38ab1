// The simulator's true engagement model as small stateless functions (docs/simulator.md, "Model"):
// relevance link, examination curve, cascade stage probabilities, and the hash-derived normal that
// gives every (context, item) pair its fixed idiosyncratic term. The sampler and the truth file
// both call these, so the probabilities written are exactly the ones sampled from.
#pragma once

#include <cmath>
#include <cstdint>

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

/// An approximately standard normal value that is a fixed function of the 64-bit word h: the
/// Irwin-Hall sum of the four 16-bit uniforms in mix64(h), centred and scaled to unit variance
/// (bounded by ±2√3; no log/cos, as the model policy evaluates it ~200 times per request).
/// The same pair always gets the same value, with no table.
inline double hashed_normal(uint64_t h) {
  const uint64_t a = mix64(h);
  const double sum = static_cast<double>((a & 0xffff) + ((a >> 16) & 0xffff) + ((a >> 32) & 0xffff) + (a >> 48));
  // Each 16-bit part is uniform on {0..65535}: mean 32767.5, variance (65536^2 - 1) / 12.
  constexpr double kMean = 4 * 32767.5;
  constexpr double kInvSd = 1.0 / 37837.227237;  // sqrt(4 * (65536^2 - 1) / 12)
  return (sum - kMean) * kInvSd;
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
