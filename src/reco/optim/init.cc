#include "reco/optim/init.h"

#include <cmath>

#include "reco/core/error.h"

namespace reco::optim {

void xavier_uniform(nn::Tensor& t, size_t fan_in, size_t fan_out, Rng& rng) {
  RECO_CHECK(fan_in + fan_out > 0) << "xavier_uniform: fan_in + fan_out must be positive";
  const double a = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  uniform(t, static_cast<float>(-a), static_cast<float>(a), rng);
}

void xavier_normal(nn::Tensor& t, size_t fan_in, size_t fan_out, Rng& rng) {
  RECO_CHECK(fan_in + fan_out > 0) << "xavier_normal: fan_in + fan_out must be positive";
  normal(t, 0.0f, static_cast<float>(std::sqrt(2.0 / static_cast<double>(fan_in + fan_out))), rng);
}

void uniform(nn::Tensor& t, float lo, float hi, Rng& rng) {
  RECO_CHECK(lo < hi) << "uniform init: need lo < hi, got [" << lo << ", " << hi << ")";
  const float width = hi - lo;
  float* p = t.data();
  for (size_t i = 0, n = t.size(); i < n; ++i) {
    // lo + width * u can round up to hi for u just below 1; keep the interval half-open.
    const float x = lo + width * rng.uniform_float();
    p[i] = x < hi ? x : lo;
  }
}

void normal(nn::Tensor& t, float mean, float std, Rng& rng) {
  RECO_CHECK(std >= 0.0f) << "normal init: std must be >= 0, got " << std;
  float* p = t.data();
  for (size_t i = 0, n = t.size(); i < n; ++i) {
    p[i] = static_cast<float>(mean + std * rng.normal());
  }
}

void zeros(nn::Tensor& t) { t.zero(); }

EmbeddingInit parse_embedding_init(std::string_view name) {
  if (name == "scaled_uniform") return EmbeddingInit::kScaledUniform;
  if (name == "unit_uniform") return EmbeddingInit::kUnitUniform;
  RECO_THROW(ErrorCode::kInvalidArgument) << "unknown embedding init '" << name
                                          << "'; expected scaled_uniform (U(-1/sqrt(rows), 1/sqrt(rows)), DLRM) or "
                                             "unit_uniform (U(-1, 1), Airbnb)";
}

std::string_view embedding_init_name(EmbeddingInit init) {
  return init == EmbeddingInit::kScaledUniform ? "scaled_uniform" : "unit_uniform";
}

void init_embedding(nn::Tensor& table, EmbeddingInit init, Rng& rng) {
  if (table.empty()) return;
  const float s = init == EmbeddingInit::kScaledUniform
                      ? static_cast<float>(1.0 / std::sqrt(static_cast<double>(table.rows())))
                      : 1.0f;
  uniform(table, -s, s, rng);
}

}  // namespace reco::optim
