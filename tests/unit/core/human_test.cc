#include "reco/core/human.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "reco/core/timer.h"

namespace reco {
namespace {

TEST(Human, Counts) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(2.5), "2.5");
  EXPECT_EQ(format_count(1000), "1.0 k");
  EXPECT_EQ(format_count(12345), "12.3 k");
  EXPECT_EQ(format_count(1234567), "1.2 M");
  EXPECT_EQ(format_count(999960), "1.0 M");  // rounds up into the next unit, not "1000.0 k"
  EXPECT_EQ(format_count(3.2e9), "3.2 G");
  EXPECT_EQ(format_count(-1500), "-1.5 k");
}

TEST(Human, Rates) {
  EXPECT_EQ(format_rate(1.2e6, "rows"), "1.2 M rows/s");
  EXPECT_EQ(format_rate(4500), "4.5 k/s");
  EXPECT_EQ(format_rate(12, "req"), "12 req/s");
}

TEST(Human, Bytes) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1024), "1.0 KiB");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(uint64_t{3} * 1024 * 1024 * 1024 + uint64_t{400} * 1024 * 1024), "3.4 GiB");
  EXPECT_EQ(format_bytes(uint64_t{1} << 40), "1.0 TiB");
}

TEST(Human, Durations) {
  EXPECT_EQ(format_duration(0), "0ms");
  EXPECT_EQ(format_duration(0.35), "350ms");
  EXPECT_EQ(format_duration(4.24), "4.2s");
  EXPECT_EQ(format_duration(42), "42s");
  EXPECT_EQ(format_duration(72), "1m12s");
  EXPECT_EQ(format_duration(59.7), "1m00s");
  EXPECT_EQ(format_duration(2 * 3600 + 5 * 60 + 3), "2h05m");
  EXPECT_EQ(format_duration(3 * 86400 + 4 * 3600), "3d04h");
  EXPECT_EQ(format_duration(-1), "0ms");
}

TEST(Stopwatch, IsMonotonicAndRestarts) {
  Stopwatch sw;
  const double a = sw.elapsed_seconds();
  const double b = sw.elapsed_seconds();
  EXPECT_GE(a, 0.0);
  EXPECT_GE(b, a);
  EXPECT_NEAR(sw.elapsed_ms(), sw.elapsed_seconds() * 1000.0, 1000.0);
  sw.restart();
  EXPECT_GE(sw.elapsed_seconds(), 0.0);
}

}  // namespace
}  // namespace reco
