// Learning-rate schedule: a pure function of the step number t (1-based).
//   warm-up: steps 1..warmup_steps ramp linearly, lr(t) = base * t / warmup_steps
//            (base / warmup_steps at t = 1, base at t = warmup_steps);
//   then the rate is base until the decay starts at step S = decay_start, or right after
//   the warm-up (S = warmup_steps + 1) when decay_start is 0. From S on, lr(t) = base * f(t)
//   with p = clamp((t - S) / decay_steps, 0, 1) and m = min_factor:
//     none          f = 1
//     linear        f = 1 - (1 - m) * p
//     cosine        f = m + (1 - m) * (1 + cos(pi * p)) / 2
//     inverse_sqrt  f = max(m, sqrt(S / t))                      (decay_steps unused)
//     step          f = max(m, gamma ^ floor((t - S) / decay_steps))
//     polynomial    f = m + (1 - m) * (1 - p) ^ power            (DLRM's: power 2, m 0)
//   so f(S) = 1 for every kind, and linear/cosine/polynomial reach m at t = S + decay_steps.
// Computed in double, returned as float.
#pragma once

#include <cstdint>
#include <string_view>

namespace reco::optim {

enum class LrDecay : uint8_t { kNone, kLinear, kCosine, kInverseSqrt, kStep, kPolynomial };

/// "none" | "linear" | "cosine" | "inverse_sqrt" | "step" | "polynomial".
LrDecay parse_lr_decay(std::string_view name);
std::string_view lr_decay_name(LrDecay decay);

struct LrSchedule {
  float base = 0.01f;
  int64_t warmup_steps = 0;
  LrDecay decay = LrDecay::kNone;
  int64_t decay_start = 0;   ///< first step of the decay (default: right after warm-up)
  int64_t decay_steps = 0;   ///< length of the decay (linear/cosine/polynomial) or period (step)
  float min_factor = 0.0f;   ///< floor, as a fraction of base
  float gamma = 0.1f;        ///< step decay factor
  float power = 2.0f;        ///< polynomial decay power
  /// The rate at step t >= 1 (kInvalidArgument for t < 1).
  float at(int64_t step) const;
  void validate() const;     ///< throws kInvalidArgument naming the field
};

}  // namespace reco::optim
