#include "reco/nn/interaction.h"

#include <gtest/gtest.h>

#include <vector>

#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "unit/nn/gradient_check.h"

namespace reco::nn {
namespace {

using gradcheck::check_gradient;
using gradcheck::linear_functional;
using gradcheck::random_tensor;

// The header's layout, written out independently: [v_0, then <v_i, v_j> for i = 0..n-1,
// j = 0..i-1 (or ..i with self-interaction)], in double.
std::vector<double> reference_dot(const Tensor& f, size_t b, size_t n, size_t d, bool self) {
  std::vector<double> out(f.row(b), f.row(b) + d);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j <= i; ++j) {
      if (j == i && !self) continue;
      double s = 0.0;
      for (size_t k = 0; k < d; ++k) s += static_cast<double>(f.at(b, i * d + k)) * f.at(b, j * d + k);
      out.push_back(s);
    }
  return out;
}

struct Config {
  InteractionKind kind;
  bool self;
};
const Config kConfigs[] = {{InteractionKind::kDot, false}, {InteractionKind::kDot, true}, {InteractionKind::kConcat, false}};

TEST(Interaction, OutputSizes) {
  EXPECT_EQ(interaction_output_size(InteractionKind::kDot, 27, 16, false), 16u + 351u);
  EXPECT_EQ(interaction_output_size(InteractionKind::kDot, 27, 16, true), 16u + 378u);
  EXPECT_EQ(interaction_output_size(InteractionKind::kDot, 1, 3, false), 3u);
  EXPECT_EQ(interaction_output_size(InteractionKind::kDot, 1, 3, true), 4u);
  EXPECT_EQ(interaction_output_size(InteractionKind::kConcat, 5, 3, false), 15u);
  EXPECT_EQ(parse_interaction("dot"), InteractionKind::kDot);
  EXPECT_EQ(parse_interaction("cat"), InteractionKind::kConcat);
  EXPECT_EQ(parse_interaction("concat"), InteractionKind::kConcat);
  EXPECT_EQ(parse_interaction(interaction_name(InteractionKind::kConcat)), InteractionKind::kConcat);
  EXPECT_THROW(parse_interaction("fm"), Error);
}

TEST(Interaction, ForwardMatchesNaiveReference) {
  uint64_t seed = 1;
  for (const Config& cfg : kConfigs)
    for (size_t n : {1, 2, 5, 27})
      for (size_t d : {1, 3, 16}) {
        SCOPED_TRACE(::testing::Message() << interaction_name(cfg.kind) << " self " << cfg.self << " n " << n << " d "
                                          << d);
        Rng rng(seed++);
        // 37 rows at d = 16: two groups of 16 rows in the lanes form and a padded third
        const size_t batch = d == 16 ? 37 : 3;
        const Tensor f = random_tensor(batch, n * d, rng);
        const size_t width = interaction_output_size(cfg.kind, n, d, cfg.self);
        Tensor out(batch, width);
        out.fill(55.0f);
        interaction_forward(cfg.kind, f, n, d, cfg.self, out);
        for (size_t b = 0; b < batch; ++b) {
          if (cfg.kind == InteractionKind::kConcat) {
            for (size_t c = 0; c < width; ++c) EXPECT_EQ(out.at(b, c), f.at(b, c));
            continue;
          }
          const auto want = reference_dot(f, b, n, d, cfg.self);
          ASSERT_EQ(want.size(), width);
          for (size_t c = 0; c < width; ++c) EXPECT_NEAR(out.at(b, c), want[c], 1e-5) << "b " << b << " column " << c;
        }
      }
}

TEST(Interaction, BackwardMatchesFiniteDifferences) {
  uint64_t seed = 100;
  for (const Config& cfg : kConfigs)
    for (size_t n : {1, 2, 5, 27})
      for (size_t d : {1, 3, 16}) {
        SCOPED_TRACE(::testing::Message() << interaction_name(cfg.kind) << " self " << cfg.self << " n " << n << " d "
                                          << d);
        Rng rng(seed++);
        // 18 rows at d = 16: a group of 16 in the lanes form and a padded second
        const size_t batch = d == 16 ? 18 : 2;
        Tensor f = random_tensor(batch, n * d, rng);
        const size_t width = interaction_output_size(cfg.kind, n, d, cfg.self);
        const Tensor weights = random_tensor(batch, width, rng);
        Tensor out(batch, width);
        auto loss = [&] {
          interaction_forward(cfg.kind, f, n, d, cfg.self, out);
          return linear_functional(out, weights);
        };
        Tensor df(batch, n * d);
        df.fill(31.0f);  // overwritten, not accumulated
        interaction_backward(cfg.kind, f, n, d, cfg.self, weights, df);
        EXPECT_TRUE(check_gradient("features", f, df, loss));
      }
}

TEST(Interaction, StridedViewsOfWiderBuffers) {
  // Features as a column block of a wider buffer, output into a column block as well; at d = 16
  // the vector path's pair blocks spill past a row's pairs, into scratch only: the columns
  // around the output block must keep their values.
  for (const auto& [n, d] : {std::pair<size_t, size_t>{5, 3}, std::pair<size_t, size_t>{27, 16}}) {
    SCOPED_TRACE(::testing::Message() << "n " << n << " d " << d);
    const size_t batch = d == 16 ? 21 : 4;  // 21: the 16-row lanes form and its padded tail
    Rng rng(9);
    const Tensor wide_in = random_tensor(batch, n * d + 4, rng);
    const ConstMatrixView f = wide_in.view().cols_slice(2, n * d);
    const Tensor packed = [&] {
      Tensor t(batch, n * d);
      for (size_t b = 0; b < batch; ++b)
        for (size_t c = 0; c < n * d; ++c) t.at(b, c) = f.at(b, c);
      return t;
    }();
    const size_t width = interaction_output_size(InteractionKind::kDot, n, d, false);
    Tensor expect(batch, width), wide_out(batch, width + 3);
    wide_out.fill(-7.0f);
    interaction_forward(InteractionKind::kDot, packed, n, d, false, expect);
    interaction_forward(InteractionKind::kDot, f, n, d, false, wide_out.view().cols_slice(1, width));
    for (size_t b = 0; b < batch; ++b) {
      for (size_t c = 0; c < width; ++c) EXPECT_EQ(wide_out.at(b, c + 1), expect.at(b, c));
      EXPECT_EQ(wide_out.at(b, 0), -7.0f);
      for (size_t c = width + 1; c < width + 3; ++c) EXPECT_EQ(wide_out.at(b, c), -7.0f);
    }
    const Tensor dout = random_tensor(batch, width, rng);
    Tensor df_packed(batch, n * d), df_wide(batch, n * d + 2);
    interaction_backward(InteractionKind::kDot, packed, n, d, false, dout, df_packed);
    interaction_backward(InteractionKind::kDot, f, n, d, false, dout, df_wide.view().cols_slice(2, n * d));
    for (size_t b = 0; b < batch; ++b)
      for (size_t c = 0; c < n * d; ++c) EXPECT_EQ(df_wide.at(b, c + 2), df_packed.at(b, c));
  }
}

}  // namespace
}  // namespace reco::nn
