#include "reco/data/random_gen.h"

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/core/error.h"
#include "reco/core/parallel_for.h"
#include "reco/core/rng.h"
#include "reco/data/dataset.h"
#include "reco/data/split.h"

namespace reco {

namespace {

// Stream tags: every (purpose, column) pair draws from its own derived seed.
enum Stream : uint64_t { kDenseStream = 1, kLengthStream = 2, kIdStream = 3, kLabelStream = 4, kModelStream = 5 };
uint64_t stream_seed(uint64_t seed, Stream purpose, uint64_t column) {
  return derive_seed(seed, (static_cast<uint64_t>(purpose) << 32) | column);
}

// Hidden weight of id `id` in table t: uniform [-1, 1), a pure function of (table seed, id).
inline float id_weight(uint64_t table_seed, uint64_t id) {
  return static_cast<float>(static_cast<double>(mix64(table_seed ^ (id * 0x9e3779b97f4a7c15ULL)) >> 11) *
                                0x1.0p-52 -
                            1.0);
}

struct Chunking {
  uint64_t rows;
  uint64_t count;
  explicit Chunking(uint64_t r) : rows(r), count((r + kRandomGenChunkRows - 1) / kRandomGenChunkRows) {}
  uint64_t begin(uint64_t c) const { return c * kRandomGenChunkRows; }
  uint64_t end(uint64_t c) const { return std::min(rows, (c + 1) * kRandomGenChunkRows); }
};

// The bias b with mean_r sigmoid(b + scale * signal[r]) == rate over a fixed prefix of the
// rows (bisection; the mean is increasing in b). The hidden weights are not centred (a
// small table's few weights have a non-zero mean), so the logit of the rate alone would
// miss the target positive rate.
double fit_bias(const std::vector<float>& signal, double scale, double rate) {
  const size_t n = std::min<size_t>(signal.size(), 4 * kRandomGenChunkRows);
  double lo = -40.0, hi = 40.0;
  for (int iter = 0; iter < 60; ++iter) {
    const double mid = 0.5 * (lo + hi);
    double mean = 0.0;
    for (size_t r = 0; r < n; ++r) mean += 1.0 / (1.0 + std::exp(-(mid + scale * signal[r])));
    (mean / static_cast<double>(n) < rate ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

nlohmann::json spec_json(const RandomDatasetSpec& s) {
  return {{"rows", s.rows},
          {"dense", s.dense},
          {"dense_distribution", std::string(dense_distribution_name(s.dense_distribution))},
          {"table_sizes", s.table_sizes},
          {"lookups", s.lookups},
          {"variable_lookups", s.variable_lookups},
          {"label_mode", std::string(label_mode_name(s.label_mode))},
          {"label_rate", s.label_rate},
          {"seed", s.seed},
          {"split", s.split}};
}

}  // namespace

DenseDistribution parse_dense_distribution(std::string_view name) {
  if (name == "uniform") return DenseDistribution::kUniform;
  if (name == "normal") return DenseDistribution::kNormal;
  RECO_THROW(ErrorCode::kInvalidArgument) << "unknown dense distribution '" << name
                                          << "' (expected uniform or normal)";
}
std::string_view dense_distribution_name(DenseDistribution d) {
  return d == DenseDistribution::kUniform ? "uniform" : "normal";
}
LabelMode parse_label_mode(std::string_view name) {
  if (name == "rate") return LabelMode::kRate;
  if (name == "logistic") return LabelMode::kLogistic;
  RECO_THROW(ErrorCode::kInvalidArgument) << "unknown label mode '" << name << "' (expected rate or logistic)";
}
std::string_view label_mode_name(LabelMode mode) { return mode == LabelMode::kRate ? "rate" : "logistic"; }

void RandomDatasetSpec::validate() const {
  RECO_CHECK(rows >= 1) << "random dataset: rows must be >= 1";
  RECO_CHECK(dense > 0 || !table_sizes.empty()) << "random dataset: needs dense features or tables";
  for (size_t t = 0; t < table_sizes.size(); ++t) {
    RECO_CHECK(table_sizes[t] >= 1 && table_sizes[t] <= std::numeric_limits<uint32_t>::max())
        << "random dataset: table " << t << " size " << table_sizes[t] << " is outside [1, 2^32-1]";
  }
  RECO_CHECK(lookups >= 1) << "random dataset: lookups must be >= 1";
  const SplitKind sk = SplitSpec::parse(split).kind;
  RECO_CHECK(sk == SplitKind::kNone || sk == SplitKind::kRandom)
      << "random dataset: only a random split applies (no timestamps or users), got '" << split << "'";
  RECO_CHECK(label_rate > 0.0 && label_rate < 1.0) << "random dataset: label rate must be in (0,1), got "
                                                   << label_rate;
}

void generate_random_dataset(const RandomDatasetSpec& spec, const std::string& path, const RunContext& ctx,
                             const TeacherReport& teacher_report) {
  spec.validate();
  const uint64_t rows = spec.rows;
  const Chunking chunks(rows);
  const int threads = std::max(1, ctx.threads);
  const bool logistic = spec.label_mode == LabelMode::kLogistic;

  DatasetWriter writer(path);
  writer.set_rows(rows);

  // Hidden linear model: z = bias + scale * (sum_j w_j (x_j - E x) + sum_t mean_{id in row} v_t(id)),
  // scale chosen so the signal has standard deviation ~2 (learnable, not deterministic).
  std::vector<float> signal(logistic ? rows : 0, 0.0f);
  Rng model_rng(stream_seed(spec.seed, kModelStream, 0));
  std::vector<double> dense_w(spec.dense);
  double variance = 0.0;
  const bool uniform = spec.dense_distribution == DenseDistribution::kUniform;
  const double x_mean = uniform ? 0.5 : 0.0;
  const double x_var = uniform ? 1.0 / 12.0 : 1.0;
  for (auto& w : dense_w) {
    w = model_rng.normal();
    variance += w * w * x_var;
  }
  variance += static_cast<double>(spec.table_sizes.size()) / 3.0;  // each v_t ~ U[-1,1): var 1/3

  std::vector<float> dense(spec.dense > 0 ? rows : 0);
  for (uint32_t j = 0; j < spec.dense; ++j) {
    const uint64_t seed = stream_seed(spec.seed, kDenseStream, j);
    const float w = static_cast<float>(dense_w[j]);
    parallel_tasks(threads, chunks.count, [&](size_t c, int) {
      Rng rng(derive_seed(seed, c));
      for (uint64_t r = chunks.begin(c); r < chunks.end(c); ++r) {
        const float x = static_cast<float>(uniform ? rng.uniform() : rng.normal());
        dense[r] = x;
        if (logistic) signal[r] += w * static_cast<float>(x - x_mean);
      }
    });
    ColumnInfo info{"dense_" + std::to_string(j), ColumnRole::kDense, ColumnStorage::kF32, 0, "",
                    {{"distribution", std::string(dense_distribution_name(spec.dense_distribution))}}};
    writer.add_f32(std::move(info), dense);
  }
  std::vector<float>().swap(dense);

  const bool multi = spec.multi_hot();
  std::vector<uint32_t> ids;
  std::vector<uint64_t> offsets(multi ? rows + 1 : 0);
  for (size_t t = 0; t < spec.table_sizes.size(); ++t) {
    const uint64_t size = spec.table_sizes[t];
    const uint64_t id_seed = stream_seed(spec.seed, kIdStream, t);
    const uint64_t weight_seed = stream_seed(spec.seed, kModelStream, t + 1);
    ColumnInfo info{"cat_" + std::to_string(t), multi ? ColumnRole::kMultiHot : ColumnRole::kCategorical,
                    multi ? ColumnStorage::kMultiHotU32 : ColumnStorage::kU32, static_cast<uint32_t>(size),
                    "identity", nlohmann::json::object()};
    if (!multi) {
      ids.resize(rows);
      parallel_tasks(threads, chunks.count, [&](size_t c, int) {
        Rng rng(derive_seed(id_seed, c));
        for (uint64_t r = chunks.begin(c); r < chunks.end(c); ++r) {
          const uint64_t id = rng.below(size);
          ids[r] = static_cast<uint32_t>(id);
          if (logistic) signal[r] += id_weight(weight_seed, id);
        }
      });
      writer.add_u32(std::move(info), ids);
      continue;
    }
    // Multi-hot: row lengths first (their own stream), prefix sum, then ids per chunk.
    const uint64_t length_seed = stream_seed(spec.seed, kLengthStream, t);
    parallel_tasks(threads, chunks.count, [&](size_t c, int) {
      Rng rng(derive_seed(length_seed, c));
      for (uint64_t r = chunks.begin(c); r < chunks.end(c); ++r) {
        offsets[r + 1] = spec.variable_lookups ? 1 + rng.below(spec.lookups) : spec.lookups;
      }
    });
    offsets[0] = 0;
    for (uint64_t r = 0; r < rows; ++r) offsets[r + 1] += offsets[r];
    ids.resize(offsets[rows]);
    parallel_tasks(threads, chunks.count, [&](size_t c, int) {
      Rng rng(derive_seed(id_seed, c));
      for (uint64_t r = chunks.begin(c); r < chunks.end(c); ++r) {
        float sum = 0.0f;
        for (uint64_t i = offsets[r]; i < offsets[r + 1]; ++i) {
          const uint64_t id = rng.below(size);
          ids[i] = static_cast<uint32_t>(id);
          sum += id_weight(weight_seed, id);
        }
        // Mean over the row's ids, rescaled so a row's variance matches a single lookup.
        const auto n = static_cast<float>(offsets[r + 1] - offsets[r]);
        if (logistic) signal[r] += sum / std::sqrt(n);
      }
    });
    writer.add_multi_hot(std::move(info), offsets, ids, {});
  }
  std::vector<uint32_t>().swap(ids);
  std::vector<uint64_t>().swap(offsets);

  std::vector<float> label(rows);
  std::vector<float> probability(teacher_report ? rows : 0);
  const uint64_t label_seed = stream_seed(spec.seed, kLabelStream, 0);
  const double scale = variance > 0.0 ? 2.0 / std::sqrt(variance) : 0.0;
  const double bias = logistic ? fit_bias(signal, scale, spec.label_rate)
                               : std::log(spec.label_rate / (1.0 - spec.label_rate));
  parallel_tasks(threads, chunks.count, [&](size_t c, int) {
    Rng rng(derive_seed(label_seed, c));
    for (uint64_t r = chunks.begin(c); r < chunks.end(c); ++r) {
      double p = spec.label_rate;
      if (logistic) p = 1.0 / (1.0 + std::exp(-(bias + scale * signal[r])));
      label[r] = rng.uniform() < p ? 1.0f : 0.0f;
      if (!probability.empty()) probability[r] = static_cast<float>(p);
    }
  });
  writer.add_f32(ColumnInfo{"label", ColumnRole::kLabel, ColumnStorage::kF32, 0, "",
                            {{"positive", {"1"}}, {"generator", std::string(label_mode_name(spec.label_mode))}}},
                 label);
  nlohmann::json extra = {{"source", "random"}, {"generator", spec_json(spec)}};
  std::vector<uint8_t> split;
  const SplitSpec split_spec = SplitSpec::parse(spec.split);
  if (split_spec.kind != SplitKind::kNone) {
    split = make_split(split_spec, rows, derive_seed(spec.seed, 0x73706c6974ULL), {}, {});
    writer.set_split(split);
  }
  if (teacher_report) extra["teacher"] = teacher_report(probability, label, split);
  writer.set_extra(std::move(extra));
  writer.commit();
}

}  // namespace reco
