#include "reco/optim/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "reco/core/error.h"

namespace reco::optim {

namespace {

constexpr std::string_view kDecayNames[] = {"none", "linear", "cosine", "inverse_sqrt", "step", "polynomial"};

// Fraction of the decay done at step t: (t - start) / steps, clamped to [0, 1].
double decay_progress(int64_t t, int64_t start, int64_t steps) {
  const double p = static_cast<double>(t - start) / static_cast<double>(steps);
  return std::clamp(p, 0.0, 1.0);
}

// Multiplier of the base rate at step t >= start (before the min_factor floor where the
// formula does not include it).
double decay_factor(const LrSchedule& s, int64_t t, int64_t start) {
  const double floor = s.min_factor;
  switch (s.decay) {
    case LrDecay::kNone:
      return 1.0;
    case LrDecay::kLinear:
      // f = 1 - (1 - min) * p
      return 1.0 - (1.0 - floor) * decay_progress(t, start, s.decay_steps);
    case LrDecay::kCosine:
      // f = min + (1 - min) * (1 + cos(pi * p)) / 2
      return floor + (1.0 - floor) * 0.5 * (1.0 + std::cos(std::numbers::pi * decay_progress(t, start, s.decay_steps)));
    case LrDecay::kInverseSqrt:
      // f = max(min, sqrt(start / t)); 1 at t = start.
      return std::max(floor, std::sqrt(static_cast<double>(start) / static_cast<double>(t)));
    case LrDecay::kStep:
      // f = max(min, gamma ^ floor((t - start) / decay_steps))
      return std::max(floor, std::pow(static_cast<double>(s.gamma), static_cast<double>((t - start) / s.decay_steps)));
    case LrDecay::kPolynomial:
      // f = min + (1 - min) * (1 - p) ^ power  (DLRM: power 2, min 0)
      return floor + (1.0 - floor) * std::pow(1.0 - decay_progress(t, start, s.decay_steps), static_cast<double>(s.power));
  }
  return 1.0;
}

}  // namespace

LrDecay parse_lr_decay(std::string_view name) {
  for (size_t i = 0; i < std::size(kDecayNames); ++i) {
    if (name == kDecayNames[i]) return static_cast<LrDecay>(i);
  }
  RECO_THROW(ErrorCode::kInvalidArgument) << "unknown learning-rate decay '" << name
                                          << "'; expected none, linear, cosine, inverse_sqrt, step or polynomial";
}

std::string_view lr_decay_name(LrDecay decay) {
  const auto i = static_cast<size_t>(decay);
  return i < std::size(kDecayNames) ? kDecayNames[i] : std::string_view("?");
}

float LrSchedule::at(int64_t step) const {
  RECO_CHECK(step >= 1) << "learning-rate schedule: steps are 1-based, got " << step;
  // Warm-up: lr(t) = base * t / warmup_steps for t <= warmup_steps.
  if (step <= warmup_steps) {
    return static_cast<float>(static_cast<double>(base) * static_cast<double>(step) / static_cast<double>(warmup_steps));
  }
  // Decay from `start` on; between the warm-up and `start` the rate is base.
  const int64_t start = decay_start > 0 ? decay_start : warmup_steps + 1;
  if (decay == LrDecay::kNone || step < start) return base;
  return static_cast<float>(static_cast<double>(base) * decay_factor(*this, step, start));
}

void LrSchedule::validate() const {
  RECO_CHECK(std::isfinite(base) && base > 0.0f) << "learning rate 'lr' must be a positive number, got " << base;
  RECO_CHECK(warmup_steps >= 0) << "'warmup_steps' must be >= 0, got " << warmup_steps;
  RECO_CHECK(decay_start == 0 || decay_start > warmup_steps)
      << "'decay_start' must be 0 (right after warm-up) or after the warm-up (> " << warmup_steps << "), got "
      << decay_start;
  if (decay == LrDecay::kLinear || decay == LrDecay::kCosine || decay == LrDecay::kStep ||
      decay == LrDecay::kPolynomial) {
    RECO_CHECK(decay_steps > 0) << "'decay_steps' must be > 0 for decay '" << lr_decay_name(decay) << "', got "
                                << decay_steps;
  }
  RECO_CHECK(min_factor >= 0.0f && min_factor <= 1.0f) << "'min_factor' must be in [0, 1], got " << min_factor;
  RECO_CHECK(gamma > 0.0f && gamma <= 1.0f) << "'gamma' must be in (0, 1], got " << gamma;
  RECO_CHECK(std::isfinite(power) && power > 0.0f) << "'power' must be > 0, got " << power;
}

}  // namespace reco::optim
