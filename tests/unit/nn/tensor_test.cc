#include "reco/nn/tensor.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

#include "reco/core/rng.h"

namespace reco::nn {
namespace {

bool aligned64(const float* p) { return reinterpret_cast<uintptr_t>(p) % 64 == 0; }

void fill_pattern(Tensor& t, float base) {
  for (size_t i = 0; i < t.size(); ++i) t.data()[i] = base + static_cast<float>(i);
}

TEST(Tensor, ConstructsZeroFilledRowMajor) {
  for (auto [rows, cols] : {std::pair<size_t, size_t>{1, 1}, {3, 5}, {7, 13}, {1, 100}}) {
    Tensor t(rows, cols);
    EXPECT_EQ(t.rows(), rows);
    EXPECT_EQ(t.cols(), cols);
    EXPECT_EQ(t.size(), rows * cols);
    for (float v : t.span()) EXPECT_EQ(v, 0.0f);
    t.at(rows - 1, cols - 1) = 5.0f;
    EXPECT_EQ(t.data()[(rows - 1) * cols + cols - 1], 5.0f);
    EXPECT_EQ(t.row(rows - 1), t.data() + (rows - 1) * cols);
  }
  Tensor empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.data(), nullptr);
}

TEST(Tensor, StorageIs64ByteAligned) {
  for (size_t n : {1, 2, 3, 15, 16, 17, 63, 64, 65, 1000, 4099}) {
    Tensor t(1, n);
    EXPECT_TRUE(aligned64(t.data())) << n;
    Tensor u(n, 3);
    EXPECT_TRUE(aligned64(u.data())) << n;
    t.resize(n + 1000, 2);  // grows: a new allocation, still aligned
    EXPECT_TRUE(aligned64(t.data())) << n;
    Tensor copy = u;
    EXPECT_TRUE(aligned64(copy.data())) << n;
  }
}

TEST(Tensor, ResizeWithinCapacityKeepsStorage) {
  Tensor t(8, 16);
  const float* p = t.data();
  t.resize(3, 5);
  EXPECT_EQ(t.data(), p);
  EXPECT_EQ(t.rows(), 3u);
  EXPECT_EQ(t.cols(), 5u);
  t.resize(16, 8);  // same element count as the first allocation
  EXPECT_EQ(t.data(), p);
  t.resize(0, 7);
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.cols(), 7u);
  t.resize(4, 4, /*zero=*/true);
  EXPECT_EQ(t.data(), p);
  for (float v : t.span()) EXPECT_EQ(v, 0.0f);
  t.resize(9, 16);  // more than ever allocated: reallocates
  EXPECT_EQ(t.size(), 144u);
  EXPECT_TRUE(aligned64(t.data()));
}

TEST(Tensor, ResizeZeroClearsOldContents) {
  Tensor t(2, 3);
  t.fill(7.0f);
  t.resize(3, 2, /*zero=*/true);
  for (float v : t.span()) EXPECT_EQ(v, 0.0f);
  t.fill(-2.5f);
  for (float v : t.span()) EXPECT_EQ(v, -2.5f);
  t.zero();
  for (float v : t.span()) EXPECT_EQ(v, 0.0f);
}

TEST(Tensor, CopyIsDeep) {
  Tensor a(3, 5);
  fill_pattern(a, 1.0f);
  Tensor b(a);
  ASSERT_EQ(b.rows(), 3u);
  ASSERT_EQ(b.cols(), 5u);
  EXPECT_NE(b.data(), a.data());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(b.data()[i], a.data()[i]);
  b.at(0, 0) = -1.0f;
  EXPECT_EQ(a.at(0, 0), 1.0f);

  Tensor c(1, 1);
  c = a;  // copy-assign into a smaller tensor
  ASSERT_EQ(c.rows(), 3u);
  ASSERT_EQ(c.cols(), 5u);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(c.data()[i], a.data()[i]);

  Tensor big(10, 10);
  const float* big_storage = big.data();
  big = a;  // copy-assign into a larger tensor reuses its storage
  EXPECT_EQ(big.data(), big_storage);
  ASSERT_EQ(big.size(), 15u);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(big.data()[i], a.data()[i]);

  Tensor& self = c;
  c = self;  // self-assignment keeps the contents
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(c.data()[i], a.data()[i]);

  Tensor empty;
  Tensor empty_copy(empty);
  EXPECT_TRUE(empty_copy.empty());
  c = empty;
  EXPECT_TRUE(c.empty());
}

TEST(Tensor, MoveTransfersStorage) {
  Tensor a(7, 13);
  fill_pattern(a, 0.5f);
  const float* p = a.data();
  Tensor b(std::move(a));
  EXPECT_EQ(b.data(), p);
  EXPECT_EQ(b.rows(), 7u);
  EXPECT_EQ(b.cols(), 13u);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_EQ(a.data(), nullptr);

  Tensor c(2, 2);
  c = std::move(b);
  EXPECT_EQ(c.data(), p);
  EXPECT_EQ(c.at(6, 12), 0.5f + 90.0f);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)

  // A moved-from tensor is usable again.
  b.resize(2, 3, true);
  EXPECT_EQ(b.size(), 6u);
  EXPECT_TRUE(aligned64(b.data()));
}

TEST(MatrixView, SlicesAddressTheRightElements) {
  Tensor t(7, 13);
  fill_pattern(t, 0.0f);
  ConstMatrixView v = t.view();
  EXPECT_TRUE(v.contiguous());
  ConstMatrixView block = v.rows_slice(2, 3).cols_slice(4, 5);
  EXPECT_EQ(block.rows, 3u);
  EXPECT_EQ(block.cols, 5u);
  EXPECT_EQ(block.stride, 13u);
  EXPECT_FALSE(block.contiguous());
  for (size_t r = 0; r < 3; ++r)
    for (size_t c = 0; c < 5; ++c) EXPECT_EQ(block.at(r, c), t.at(r + 2, c + 4));
  EXPECT_TRUE(block.rows_slice(1, 1).contiguous());  // a single row is contiguous

  MatrixView mv = t.view();
  mv.cols_slice(1, 2).fill(-1.0f);
  for (size_t r = 0; r < 7; ++r) {
    EXPECT_EQ(t.at(r, 0), static_cast<float>(r * 13));
    EXPECT_EQ(t.at(r, 1), -1.0f);
    EXPECT_EQ(t.at(r, 2), -1.0f);
    EXPECT_EQ(t.at(r, 3), static_cast<float>(r * 13 + 3));
  }
}

}  // namespace
}  // namespace reco::nn
