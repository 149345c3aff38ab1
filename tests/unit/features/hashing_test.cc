#include "reco/features/hashing.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reco/core/error.h"

namespace reco {
namespace {

TEST(Hashing, StableAndSeedDependent) {
  EXPECT_EQ(hash_bytes("paris", 7), hash_bytes(std::string("paris"), 7));
  EXPECT_NE(hash_bytes("paris", 7), hash_bytes("paris", 8));
  EXPECT_NE(hash_bytes("paris", 7), hash_bytes("paris ", 7));
  EXPECT_NE(hash_bytes("", 1), hash_bytes("", 2));
  EXPECT_EQ(hash_u64(12345, 3), hash_u64(12345, 3));
  EXPECT_NE(hash_u64(12345, 3), hash_u64(12346, 3));
}

TEST(Hashing, BucketInRangeAndRoughlyUniform) {
  constexpr uint64_t kBuckets = 10;
  std::vector<int> hist(kBuckets, 0);
  constexpr int kN = 100000;
  for (int i = 0; i < kN; ++i) {
    uint32_t b = hash_bucket("token" + std::to_string(i), kBuckets, 99);
    ASSERT_LT(b, kBuckets);
    ++hist[b];
  }
  // Expected 10000 per bucket, sd ~95; 6 sd tolerance.
  for (int h : hist) EXPECT_NEAR(h, kN / kBuckets, 600);
  EXPECT_EQ(hash_bucket("x", 1, 5), 0u);
  // The largest allowed bucket count still fits in uint32.
  (void)hash_bucket("x", uint64_t{1} << 32, 5);
  EXPECT_THROW(hash_bucket("x", 0, 5), Error);
  EXPECT_THROW(hash_bucket("x", (uint64_t{1} << 32) + 1, 5), Error);
}

TEST(Hashing, CrossDependsOnEveryValueAndOrder) {
  const uint64_t city = hash_bytes("paris", 1);
  const uint64_t cell = hash_bytes("s2:89c25", 1);
  const uint64_t other = hash_bytes("lyon", 1);
  const uint64_t buckets = uint64_t{1} << 30;
  std::vector<uint64_t> a{city, cell}, b{cell, city}, c{other, cell};
  EXPECT_EQ(hash_cross(a, buckets, 4), hash_cross(a, buckets, 4));
  EXPECT_NE(hash_cross(a, buckets, 4), hash_cross(b, buckets, 4));
  EXPECT_NE(hash_cross(a, buckets, 4), hash_cross(c, buckets, 4));
  EXPECT_NE(hash_cross(a, buckets, 4), hash_cross(a, buckets, 5));
  std::vector<uint64_t> wide(12);
  for (size_t i = 0; i < wide.size(); ++i) wide[i] = hash_u64(i, 0);
  uint32_t w = hash_cross(wide, 1000, 1);
  EXPECT_LT(w, 1000u);
  const uint32_t before = hash_cross(wide, buckets, 1);
  wide[11] ^= 1;  // the last value matters (2^30 buckets: a collision is ~1e-9)
  EXPECT_NE(hash_cross(wide, buckets, 1), before);
  std::vector<uint64_t> one{city};
  EXPECT_THROW(hash_cross(one, 10, 1), Error);
}

}  // namespace
}  // namespace reco
