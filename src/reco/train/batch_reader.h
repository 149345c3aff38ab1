// BatchReader — gathers dataset rows into a models::Batch (the columnar file is read
// straight from its memory map; nothing is parsed). One reader per thread.
//
// BatchStream — a prefetching sequence of batches over a list of row indices: a background
// thread gathers batch k+1 while the caller trains on batch k (two buffers, handed over
// under a mutex), so gathering overlaps the step.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "reco/core/rng.h"
#include "reco/data/dataset.h"
#include "reco/models/batch.h"
#include "reco/models/feature_map.h"

namespace reco::train {

/// How a BatchReader presents the logged position (models/position_bias.h).
struct PositionInput {
  bool zeroed = false;  ///< every row gets position id 0: scoring "position zeroed" (feature) / no tower
  bool ipw = false;     ///< per-(row, task) weights 1/θ_t(position) on positives (method ipw)
};

class BatchReader {
 public:
  /// with_labels = false for scoring data without a label column.
  BatchReader(const Dataset& dataset, const models::FeatureMap& features, bool with_labels,
              PositionInput position = {});
  /// position_dropout: the training stream's generator; with it, each row's position id becomes
  /// 0 with probability features.position.dropout (null: no dropout).
  void fill(std::span<const uint64_t> rows, models::Batch& batch, Rng* position_dropout = nullptr) const;
  /// Does this reader drop positions out when given a generator?
  bool drops_positions() const { return position_dropout_ > 0.0f; }
  /// False when dropout is restricted to position.slice but the data lacks that column.
  bool dropout_slice_ready() const { return position_.slice.empty() || !dropout_slice_.empty(); }

 private:
  void fill_position(std::span<const uint64_t> rows, models::Batch& batch, Rng* dropout) const;

  std::vector<std::span<const float>> dense_;
  struct Sparse {
    std::span<const uint32_t> ids;  // one per row
    MultiHotView multi;             // or CSR
    bool multi_hot = false;
  };
  std::vector<Sparse> sparse_;
  std::vector<std::span<const float>> labels_;  // per task
  std::vector<std::span<const float>> masks_;   // per task (empty span = no mask)
  std::span<const float> weights_;
  // Position handling (see position_bias.h).
  models::PositionBias position_;
  PositionInput position_input_;
  models::PositionColumn position_column_;
  std::span<const uint32_t> cross_;
  float position_dropout_ = 0.0f;
  std::span<const float> dropout_slice_;  ///< position.slice marker (feature/tower dropout on the slice only)
  bool in_dropout_slice(uint64_t row) const { return !dropout_slice_.empty() && dropout_slice_[row] != 0.0f; }
};

class BatchStream {
 public:
  /// Batches of `batch_size` consecutive entries of `rows` (the last may be short).
  /// `rows` must outlive the stream. position_dropout_seed (training only): the seed of the
  /// generator that drops positions out when the reader does (batches are filled in order on
  /// one thread, so the draws are deterministic); none = no dropout.
  BatchStream(const BatchReader& reader, std::span<const uint64_t> rows, size_t batch_size,
              std::optional<uint64_t> position_dropout_seed = std::nullopt);
  ~BatchStream();
  BatchStream(const BatchStream&) = delete;
  BatchStream& operator=(const BatchStream&) = delete;

  /// The next batch, or nullptr at the end. Valid until the following next() call.
  const models::Batch* next();
  size_t batches() const { return (rows_.size() + batch_size_ - 1) / batch_size_; }

 private:
  void produce();

  const BatchReader& reader_;
  std::span<const uint64_t> rows_;
  size_t batch_size_;
  Rng position_rng_;
  bool position_dropout_ = false;
  models::Batch buffers_[2];
  std::mutex mu_;
  std::condition_variable cv_;
  size_t produced_ = 0;   // batches filled so far
  size_t consumed_ = 0;   // batches handed to the caller so far
  bool stop_ = false;
  std::exception_ptr error_;
  std::thread worker_;
};

}  // namespace reco::train
