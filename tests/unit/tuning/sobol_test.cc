#include "reco/tuning/sobol.h"

#include <gtest/gtest.h>

#include <set>

#include "reco/core/error.h"

namespace reco::tuning {
namespace {

// First eight unscrambled points in 8 dimensions (Joe-Kuo direction numbers, Gray-code order),
// as printed by scipy.stats.qmc.Sobol(d=8, scramble=False).random(8).
TEST(Sobol, FirstPointsMatchKnownValues) {
  const double expected[8][8] = {
      {0, 0, 0, 0, 0, 0, 0, 0},
      {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5},
      {0.75, 0.25, 0.25, 0.25, 0.75, 0.75, 0.25, 0.75},
      {0.25, 0.75, 0.75, 0.75, 0.25, 0.25, 0.75, 0.25},
      {0.375, 0.375, 0.625, 0.875, 0.375, 0.125, 0.375, 0.875},
      {0.875, 0.875, 0.125, 0.375, 0.875, 0.625, 0.875, 0.375},
      {0.625, 0.125, 0.875, 0.625, 0.625, 0.875, 0.125, 0.125},
      {0.125, 0.625, 0.375, 0.125, 0.125, 0.375, 0.625, 0.625},
  };
  Sobol s(8);
  for (int i = 0; i < 8; ++i) {
    const auto p = s.next();
    for (int j = 0; j < 8; ++j) EXPECT_DOUBLE_EQ(p[j], expected[i][j]) << "point " << i << " dim " << j;
  }
}

// Every dimension of the first 2^k points puts exactly one point in each of the 2^k
// equal intervals (a property of any valid set of direction numbers), and every pair of
// dimensions among the first 2^m points of a (t,2)-net fills a 2^a x 2^b grid evenly for
// a + b <= m - t; here we check the one-dimensional property for all 21 dimensions and
// that shifted points stay in [0,1) and differ from the unshifted ones.
TEST(Sobol, OneDimensionalStratification) {
  for (int k : {4, 8, 10}) {
    Sobol s(Sobol::kMaxDims);
    const size_t n = size_t{1} << k;
    std::vector<std::set<size_t>> cells(Sobol::kMaxDims);
    for (size_t i = 0; i < n; ++i) {
      const auto p = s.next();
      for (size_t j = 0; j < p.size(); ++j) cells[j].insert(static_cast<size_t>(p[j] * n));
    }
    for (size_t j = 0; j < cells.size(); ++j) EXPECT_EQ(cells[j].size(), n) << "dim " << j << " k " << k;
  }
}

TEST(Sobol, ShiftedSequenceIsStratifiedAndSeeded) {
  Sobol a(5, 42), b(5, 42), c(5, 43);
  std::vector<std::set<size_t>> cells(5);
  bool differs = false;
  for (int i = 0; i < 64; ++i) {
    const auto pa = a.next(), pb = b.next(), pc = c.next();
    EXPECT_EQ(pa, pb);
    if (pa != pc) differs = true;
    for (size_t j = 0; j < 5; ++j) {
      ASSERT_GE(pa[j], 0.0);
      ASSERT_LT(pa[j], 1.0);
      cells[j].insert(static_cast<size_t>(pa[j] * 64));
    }
  }
  EXPECT_TRUE(differs);
  for (const auto& c : cells) EXPECT_EQ(c.size(), 64u);
}

TEST(Sobol, RejectsBadDimensions) {
  EXPECT_THROW(Sobol(0), Error);
  EXPECT_THROW(Sobol(Sobol::kMaxDims + 1), Error);
}

}  // namespace
}  // namespace reco::tuning
