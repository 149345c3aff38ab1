// The checker itself must be able to fail: a wrong gradient is reported with its element.
#include "unit/nn/gradient_check.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace reco::nn {
namespace {

TEST(GradientCheck, AcceptsTheTrueGradientAndRestoresValues) {
  // L = sum_i c_i x_i^3: dL/dx_i = 3 c_i x_i^2.
  std::vector<float> x = {0.5f, -1.25f, 2.0f, 30.0f};
  const std::vector<float> c = {1.0f, -2.0f, 0.5f, 0.01f};
  auto loss = [&] {
    double s = 0.0;
    for (size_t i = 0; i < x.size(); ++i) s += c[i] * static_cast<double>(x[i]) * x[i] * x[i];
    return s;
  };
  std::vector<float> g(x.size());
  for (size_t i = 0; i < x.size(); ++i) g[i] = 3.0f * c[i] * x[i] * x[i];
  const std::vector<float> before = x;
  EXPECT_TRUE(gradcheck::check_gradient("x", std::span<float>(x), g, loss));
  EXPECT_EQ(x, before);
}

TEST(GradientCheck, ReportsTheWrongElement) {
  Tensor x(2, 3);
  for (size_t i = 0; i < x.size(); ++i) x.data()[i] = 0.1f * static_cast<float>(i + 1);
  auto loss = [&] {
    double s = 0.0;
    for (size_t i = 0; i < x.size(); ++i) s += static_cast<double>(x.data()[i]) * x.data()[i];
    return s;
  };
  Tensor g(2, 3);
  for (size_t i = 0; i < x.size(); ++i) g.data()[i] = 2.0f * x.data()[i];
  g.at(1, 2) *= 1.05f;  // 5% off: beyond the 1% relative tolerance
  const auto result = gradcheck::check_gradient("w", x, g, loss);
  EXPECT_FALSE(result);
  const std::string message = result.message();
  EXPECT_NE(message.find("w[1, 2]"), std::string::npos) << message;
  EXPECT_NE(message.find("1 of 6"), std::string::npos) << message;
  EXPECT_EQ(message.find("w[0, 0]"), std::string::npos) << message;

  Tensor wrong_shape(3, 2);
  EXPECT_FALSE(gradcheck::check_gradient("w", x, wrong_shape, loss));
}

TEST(GradientCheck, LinearFunctionalWeighsEveryElement) {
  Tensor out(2, 2), w(2, 2);
  for (size_t i = 0; i < 4; ++i) {
    out.data()[i] = static_cast<float>(i + 1);
    w.data()[i] = static_cast<float>(10 * (i + 1));
  }
  EXPECT_DOUBLE_EQ(gradcheck::linear_functional(out, w), 10.0 + 40.0 + 90.0 + 160.0);
}

}  // namespace
}  // namespace reco::nn
