#include "reco/optim/lr_schedule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "reco/core/error.h"

namespace reco::optim {
namespace {

LrSchedule schedule(LrDecay decay, int64_t warmup, int64_t steps, float min_factor = 0.0f) {
  LrSchedule s;
  s.base = 2.0f;
  s.warmup_steps = warmup;
  s.decay = decay;
  s.decay_steps = steps;
  s.min_factor = min_factor;
  s.validate();
  return s;
}

TEST(LrSchedule, ConstantWithoutWarmup) {
  const LrSchedule s = schedule(LrDecay::kNone, 0, 0);
  EXPECT_EQ(s.at(1), 2.0f);
  EXPECT_EQ(s.at(1000000), 2.0f);
}

TEST(LrSchedule, WarmupRampsLinearly) {
  const LrSchedule s = schedule(LrDecay::kNone, 4, 0);
  EXPECT_FLOAT_EQ(s.at(1), 0.5f);
  EXPECT_FLOAT_EQ(s.at(2), 1.0f);
  EXPECT_FLOAT_EQ(s.at(4), 2.0f);
  EXPECT_FLOAT_EQ(s.at(5), 2.0f);
}

TEST(LrSchedule, LinearBoundaries) {
  // warm-up 2, decay from step 3 over 10 steps to 0.1 * base.
  const LrSchedule s = schedule(LrDecay::kLinear, 2, 10, 0.1f);
  EXPECT_FLOAT_EQ(s.at(2), 2.0f);
  EXPECT_FLOAT_EQ(s.at(3), 2.0f);                     // p = 0
  EXPECT_FLOAT_EQ(s.at(8), 2.0f * (1 - 0.9f * 0.5f));  // p = 1/2
  EXPECT_FLOAT_EQ(s.at(13), 0.2f);                    // p = 1
  EXPECT_FLOAT_EQ(s.at(14), 0.2f);
  EXPECT_FLOAT_EQ(s.at(1000), 0.2f);
}

TEST(LrSchedule, CosineBoundaries) {
  const LrSchedule s = schedule(LrDecay::kCosine, 0, 10, 0.1f);
  EXPECT_FLOAT_EQ(s.at(1), 2.0f);
  EXPECT_FLOAT_EQ(s.at(6), 2.0f * 0.55f);  // cos(pi/2) = 0: halfway between 1 and 0.1
  EXPECT_FLOAT_EQ(s.at(11), 0.2f);
  EXPECT_FLOAT_EQ(s.at(50), 0.2f);
  EXPECT_FLOAT_EQ(s.at(3), 2.0f * (0.1f + 0.9f * 0.5f * (1 + std::cos(std::numbers::pi * 0.2))));
}

TEST(LrSchedule, InverseSqrtBoundaries) {
  // warm-up 4, so S = 5: lr = base * sqrt(5 / t).
  const LrSchedule s = schedule(LrDecay::kInverseSqrt, 4, 0);
  EXPECT_FLOAT_EQ(s.at(4), 2.0f);
  EXPECT_FLOAT_EQ(s.at(5), 2.0f);
  EXPECT_FLOAT_EQ(s.at(20), 1.0f);
  EXPECT_FLOAT_EQ(s.at(80), 0.5f);
  const LrSchedule floored = schedule(LrDecay::kInverseSqrt, 4, 0, 0.3f);
  EXPECT_FLOAT_EQ(floored.at(20), 1.0f);
  EXPECT_FLOAT_EQ(floored.at(80), 0.6f);
}

TEST(LrSchedule, StepBoundaries) {
  LrSchedule s = schedule(LrDecay::kStep, 0, 3, 0.2f);
  s.gamma = 0.5f;
  EXPECT_FLOAT_EQ(s.at(1), 2.0f);
  EXPECT_FLOAT_EQ(s.at(3), 2.0f);
  EXPECT_FLOAT_EQ(s.at(4), 1.0f);
  EXPECT_FLOAT_EQ(s.at(6), 1.0f);
  EXPECT_FLOAT_EQ(s.at(7), 0.5f);
  EXPECT_FLOAT_EQ(s.at(10), 0.4f);  // 0.25 * base is below the floor 0.2 * base
  EXPECT_FLOAT_EQ(s.at(100), 0.4f);
}

TEST(LrSchedule, PolynomialBoundaries) {
  const LrSchedule s = schedule(LrDecay::kPolynomial, 0, 10);
  EXPECT_FLOAT_EQ(s.at(1), 2.0f);
  EXPECT_FLOAT_EQ(s.at(6), 0.5f);  // (1 - 1/2)^2
  EXPECT_FLOAT_EQ(s.at(11), 0.0f);
  EXPECT_FLOAT_EQ(s.at(12), 0.0f);
  LrSchedule cubic = schedule(LrDecay::kPolynomial, 0, 10, 0.5f);
  cubic.power = 3.0f;
  EXPECT_FLOAT_EQ(cubic.at(6), 2.0f * (0.5f + 0.5f * 0.125f));
}

TEST(LrSchedule, ExplicitDecayStartHoldsBaseUntilThen) {
  LrSchedule s = schedule(LrDecay::kLinear, 2, 4);
  s.decay_start = 10;
  s.validate();
  EXPECT_FLOAT_EQ(s.at(1), 1.0f);
  EXPECT_FLOAT_EQ(s.at(3), 2.0f);
  EXPECT_FLOAT_EQ(s.at(9), 2.0f);
  EXPECT_FLOAT_EQ(s.at(10), 2.0f);
  EXPECT_FLOAT_EQ(s.at(12), 1.0f);
  EXPECT_FLOAT_EQ(s.at(14), 0.0f);
}

TEST(LrSchedule, RejectsStepZero) { EXPECT_THROW(schedule(LrDecay::kNone, 0, 0).at(0), Error); }

TEST(LrSchedule, ValidateNamesTheField) {
  auto expect_invalid = [](const LrSchedule& s, const std::string& field) {
    try {
      s.validate();
      ADD_FAILURE() << "accepted bad " << field;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(e.message().find(field), std::string::npos) << e.message();
    }
  };
  LrSchedule s;
  s.base = 0;
  expect_invalid(s, "lr");
  s = LrSchedule{};
  s.warmup_steps = -1;
  expect_invalid(s, "warmup_steps");
  s = LrSchedule{};
  s.decay = LrDecay::kCosine;
  expect_invalid(s, "decay_steps");
  s = LrSchedule{};
  s.warmup_steps = 5;
  s.decay_start = 3;
  expect_invalid(s, "decay_start");
  s = LrSchedule{};
  s.min_factor = 1.5f;
  expect_invalid(s, "min_factor");
  s = LrSchedule{};
  s.gamma = 0;
  expect_invalid(s, "gamma");
  s = LrSchedule{};
  s.power = -1;
  expect_invalid(s, "power");
}

TEST(LrSchedule, DecayNamesRoundTrip) {
  for (LrDecay d : {LrDecay::kNone, LrDecay::kLinear, LrDecay::kCosine, LrDecay::kInverseSqrt, LrDecay::kStep,
                    LrDecay::kPolynomial}) {
    EXPECT_EQ(parse_lr_decay(lr_decay_name(d)), d);
  }
  EXPECT_THROW(parse_lr_decay("exponential"), Error);
}

}  // namespace
}  // namespace reco::optim
