#include "reco/optim/init.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "reco/core/error.h"

namespace reco::optim {
namespace {

struct Moments {
  double mean = 0, var = 0, min = 1e300, max = -1e300;
};
Moments moments(const nn::Tensor& t) {
  Moments m;
  for (size_t i = 0; i < t.size(); ++i) {
    m.mean += t.data()[i];
    m.min = std::min(m.min, static_cast<double>(t.data()[i]));
    m.max = std::max(m.max, static_cast<double>(t.data()[i]));
  }
  m.mean /= static_cast<double>(t.size());
  for (size_t i = 0; i < t.size(); ++i) m.var += (t.data()[i] - m.mean) * (t.data()[i] - m.mean);
  m.var /= static_cast<double>(t.size());
  return m;
}

TEST(Init, XavierUniformBoundsAndVariance) {
  nn::Tensor t(256, 128);
  Rng rng(1);
  xavier_uniform(t, 128, 256, rng);
  const double a = std::sqrt(6.0 / 384.0);
  const Moments m = moments(t);
  EXPECT_GE(m.min, -a);
  EXPECT_LT(m.max, a);
  EXPECT_GT(m.max, 0.99 * a);  // fills the interval
  EXPECT_NEAR(m.mean, 0.0, 0.01 * a);
  EXPECT_NEAR(m.var, a * a / 3, 0.02 * a * a / 3);
}

TEST(Init, XavierNormalVariance) {
  nn::Tensor t(200, 100);
  Rng rng(2);
  xavier_normal(t, 100, 200, rng);
  const Moments m = moments(t);
  const double var = 2.0 / 300.0;
  EXPECT_NEAR(m.mean, 0.0, 0.01 * std::sqrt(var));
  EXPECT_NEAR(m.var, var, 0.03 * var);
}

TEST(Init, UniformNormalZeros) {
  nn::Tensor t(100, 100);
  Rng rng(3);
  uniform(t, 2.0f, 5.0f, rng);
  Moments m = moments(t);
  EXPECT_GE(m.min, 2.0);
  EXPECT_LT(m.max, 5.0);
  EXPECT_NEAR(m.mean, 3.5, 0.03);
  normal(t, -1.0f, 0.5f, rng);
  m = moments(t);
  EXPECT_NEAR(m.mean, -1.0, 0.02);
  EXPECT_NEAR(std::sqrt(m.var), 0.5, 0.02);
  zeros(t);
  m = moments(t);
  EXPECT_EQ(m.min, 0.0);
  EXPECT_EQ(m.max, 0.0);
  EXPECT_THROW(uniform(t, 1.0f, 1.0f, rng), Error);
  EXPECT_THROW(normal(t, 0.0f, -1.0f, rng), Error);
}

TEST(Init, SameSeedSameValues) {
  nn::Tensor a(10, 10), b(10, 10);
  Rng r1(9), r2(9), r3(10);
  xavier_uniform(a, 10, 10, r1);
  xavier_uniform(b, 10, 10, r2);
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
  xavier_uniform(b, 10, 10, r3);
  EXPECT_NE(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
}

TEST(Init, EmbeddingDefaultIsScaledUniform) {
  nn::Tensor table(10000, 8);
  Rng rng(4);
  init_embedding(table, EmbeddingInit::kScaledUniform, rng);
  const double s = 1.0 / std::sqrt(10000.0);
  Moments m = moments(table);
  EXPECT_GE(m.min, -s);
  EXPECT_LT(m.max, s);
  EXPECT_GT(m.max, 0.99 * s);
  EXPECT_LT(m.min, -0.99 * s);
  init_embedding(table, EmbeddingInit::kUnitUniform, rng);
  m = moments(table);
  EXPECT_GE(m.min, -1.0);
  EXPECT_LT(m.max, 1.0);
  EXPECT_GT(m.max, 0.99);
  EXPECT_NEAR(m.var, 1.0 / 3, 0.01);
}

TEST(Init, EmbeddingInitNames) {
  EXPECT_EQ(parse_embedding_init("scaled_uniform"), EmbeddingInit::kScaledUniform);
  EXPECT_EQ(parse_embedding_init(embedding_init_name(EmbeddingInit::kUnitUniform)), EmbeddingInit::kUnitUniform);
  EXPECT_THROW(parse_embedding_init("xavier"), Error);
}

}  // namespace
}  // namespace reco::optim
