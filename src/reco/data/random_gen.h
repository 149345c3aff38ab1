// The DLRM paper's synthetic "random" dataset, written straight into a dataset file.
//
// Columns (in this order): "dense_0".."dense_{D-1}" (role dense, f32), "cat_0".."cat_{T-1}"
// (role categorical, u32, encoding "identity", cardinality = table size; or role multi_hot
// when lookups > 1 or variable_lookups), then "label" (role label, f32 0/1).
// Ids are uniform in [0, table size). Dense values are uniform [0,1) or standard normal.
// Labels: LabelMode::kRate draws Bernoulli(label_rate) independently of the features;
// LabelMode::kLogistic draws Bernoulli(sigmoid(z)) with z from a hidden random linear
// model over the dense values and per-(table, id) weights, with the bias fitted (on the
// first 2^18 rows) so the expected positive rate is label_rate — a learner can beat chance on it.
//
// Determinism: rows are generated in fixed chunks of kRandomGenChunkRows; chunk c of a
// column draws from derive_seed(derive_seed(seed, column stream), c), so the file is
// byte-identical for any ctx.threads. ctx.seed is not used (spec.seed is).
// extra.generator holds the spec.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/core/context.h"

namespace reco {

inline constexpr uint64_t kRandomGenChunkRows = 1 << 16;

enum class DenseDistribution : uint8_t { kUniform, kNormal };
enum class LabelMode : uint8_t { kRate, kLogistic };

/// "uniform" | "normal"; throws kInvalidArgument otherwise.
DenseDistribution parse_dense_distribution(std::string_view name);
std::string_view dense_distribution_name(DenseDistribution d);
/// "rate" | "logistic".
LabelMode parse_label_mode(std::string_view name);
std::string_view label_mode_name(LabelMode mode);

struct RandomDatasetSpec {
  uint64_t rows = 1000;
  uint32_t dense = 13;
  DenseDistribution dense_distribution = DenseDistribution::kUniform;
  std::vector<uint64_t> table_sizes;  ///< one categorical column per table; each in [1, 2^32-1]
  uint32_t lookups = 1;               ///< ids per row per table (>= 1)
  bool variable_lookups = false;      ///< if true, each row draws 1..lookups ids uniformly
  LabelMode label_mode = LabelMode::kLogistic;
  double label_rate = 0.5;            ///< in (0,1): target positive rate
  uint64_t seed = 42;
  std::string split = "none";         ///< SplitSpec text (split.h); only random splits apply

  /// Throws kInvalidArgument on out-of-range fields.
  void validate() const;
  bool multi_hot() const { return lookups > 1 || variable_lookups; }
};

/// Called with the teacher's true click probability of every row, the drawn labels and the
/// split (empty without one); its JSON is stored as meta.extra.teacher, so the best
/// achievable metrics (e.g. the teacher's own AUC per split) travel with the data.
using TeacherReport = std::function<nlohmann::json(std::span<const float> probability, std::span<const float> labels,
                                                   std::span<const uint8_t> split)>;

/// Writes the dataset to `path` (atomically). Uses ctx.threads worker threads.
void generate_random_dataset(const RandomDatasetSpec& spec, const std::string& path, const RunContext& ctx,
                             const TeacherReport& teacher_report = {});

}  // namespace reco
