// Shared helpers of the trainer tests: small random datasets (data/random_gen.h) with a
// split, rows per split, parameter snapshots compared byte for byte, and the teacher's
// per-split AUC captured through the TeacherReport callback.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "reco/data/dataset.h"
#include "reco/data/random_gen.h"
#include "reco/eval/metric_set.h"
#include "reco/models/ctr_model.h"
#include "reco/models/feature_map.h"
#include "reco/train/trainer.h"

namespace reco::train::testing {

inline RandomDatasetSpec small_spec(uint64_t rows = 3000, uint64_t seed = 5) {
  RandomDatasetSpec s;
  s.rows = rows;
  s.dense = 4;
  s.table_sizes = {20, 30, 15};
  s.label_mode = LabelMode::kLogistic;
  s.label_rate = 0.4;
  s.seed = seed;
  s.split = "random:0.8,0.1,0.1";
  return s;
}

/// Generates `spec` into `path`; returns the teacher's AUC on the validation split.
inline double generate(const RandomDatasetSpec& spec, const std::string& path) {
  double validation_auc = -1.0;
  RunContext ctx;
  ctx.quiet = true;
  auto teacher = [&](std::span<const float> p, std::span<const float> y, std::span<const uint8_t> split) {
    eval::MetricSet set({"auc"});
    for (size_t r = 0; r < p.size(); ++r)
      if (!split.empty() && split[r] == 1) set.add(p[r], y[r]);
    if (set.count() > 0) validation_auc = set.values().at("auc");
    return nlohmann::json::object();
  };
  generate_random_dataset(spec, path, ctx, teacher);
  return validation_auc;
}

/// Row indices of split `code` (0 train, 1 validation, 2 test).
inline std::vector<uint64_t> split_rows(const Dataset& ds, uint8_t code) {
  std::vector<uint64_t> rows;
  const auto s = ds.split();
  for (uint64_t i = 0; i < s.size(); ++i)
    if (s[i] == code) rows.push_back(i);
  return rows;
}

inline models::ModelSpec small_dlrm() {
  models::ModelSpec spec;
  spec.kind = models::ModelKind::kDlrm;
  spec.embedding_dim = 4;
  spec.bottom = {8, 4};
  spec.top = {9, 1};
  return spec;
}

inline RunContext quiet_ctx(int threads, uint64_t seed) {
  RunContext ctx;
  ctx.threads = threads;
  ctx.seed = seed;
  ctx.quiet = true;
  return ctx;
}

/// Every parameter's bytes, in parameters() order.
inline std::vector<std::vector<float>> weights_of(models::CtrModel& model) {
  std::vector<std::vector<float>> out;
  for (nn::Parameter* p : model.parameters()) out.emplace_back(p->value.span().begin(), p->value.span().end());
  return out;
}

inline bool bit_identical(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].size() != b[i].size()) return false;
    if (std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)) != 0) return false;
  }
  return true;
}

/// Largest |a - b| over all parameters.
inline double max_abs_diff(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  double worst = 0.0;
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = 0; j < a[i].size(); ++j)
      worst = std::max(worst, std::abs(static_cast<double>(a[i][j]) - static_cast<double>(b[i][j])));
  return worst;
}

}  // namespace reco::train::testing
