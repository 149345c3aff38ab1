#include "reco/train/batch_reader.h"

#include <cmath>
#include <algorithm>
#include <cstring>
#include <limits>

#include "reco/core/error.h"

namespace reco::train {

BatchReader::BatchReader(const Dataset& ds, const models::FeatureMap& features, bool with_labels,
                         PositionInput position)
    : position_(features.position), position_input_(position) {
  models::check_features(features, ds, with_labels);
  if (position_.enabled()) {
    position_column_ = models::PositionColumn(ds, position_.column);
    if (!position_.cross.empty()) cross_ = ds.u32(position_.cross);
    if (position_.method != models::PositionMethod::kIpw) position_dropout_ = position_.dropout;
    // Slice-restricted dropout (feature / tower with position.slice): only the training reader needs
    // the marker, and scoring data may lack it, so it is read when present.
    if (position_dropout_ > 0.0f && !position_.slice.empty() && ds.has(position_.slice)) {
      const auto& info = ds.column(position_.slice);
      RECO_CHECK(info.storage == ColumnStorage::kF32) << ds.path() << ": position.slice column '" << position_.slice
                                                      << "' must be f32 (nonzero = unbiased row)";
      dropout_slice_ = ds.f32(position_.slice);
    }
    if (position.ipw) {
      RECO_CHECK(position_.method == models::PositionMethod::kIpw && with_labels)
          << "inverse propensity weights need a model with position.method = \"ipw\" and labels";
      RECO_CHECK(position_.propensity.size() == features.tasks.size())
          << "position.propensity: not estimated for every task (" << position_.propensity.size() << " of "
          << features.tasks.size() << ")";
    }
  }
  for (const auto& name : features.dense) dense_.push_back(ds.f32(name));
  for (const auto& f : features.sparse) {
    Sparse s;
    s.multi_hot = f.multi_hot;
    if (f.multi_hot) {
      s.multi = ds.multi_hot(f.column);
    } else {
      s.ids = ds.u32(f.column);
    }
    sparse_.push_back(s);
  }
  if (with_labels) {
    for (const auto& t : features.tasks) {
      labels_.push_back(ds.f32(t.label));
      masks_.push_back(t.mask.empty() ? std::span<const float>() : ds.f32(t.mask));
    }
  }
  if (!features.weight.empty()) weights_ = ds.f32(features.weight);
}

void BatchReader::fill_position(std::span<const uint64_t> rows, models::Batch& b, Rng* dropout) const {
  const size_t n = rows.size();
  models::SparseInput& in = b.sparse.back();  // the slot after the features (fill() sized it)
  in.weights.clear();
  const uint32_t max = position_.max_position;
  auto id_of = [&](size_t r) -> uint32_t {
    if (position_input_.zeroed) return 0;
    uint32_t id = position_column_.id(rows[r], max);
    if (dropout && position_dropout_ > 0.0f && (position_.slice.empty() || in_dropout_slice(rows[r])) &&
        dropout->uniform() < position_dropout_)
      id = 0;
    return id;
  };
  if (position_.method == models::PositionMethod::kFeature) {
    in.offsets.clear();
    in.ids.resize(n);
    for (size_t r = 0; r < n; ++r) in.ids[r] = id_of(r);
    return;
  }
  // Tower: a bag of one id (cross · (max + 1) + position) per row, or an empty bag without a position.
  in.ids.clear();
  in.offsets.resize(n + 1);
  in.offsets[0] = 0;
  for (size_t r = 0; r < n; ++r) {
    const uint32_t id = id_of(r);
    if (id != 0) {
      const uint32_t cross = cross_.empty() ? 0 : cross_[rows[r]];
      in.ids.push_back(cross * (max + 1) + id);
    }
    in.offsets[r + 1] = in.ids.size();
  }
}

void BatchReader::fill(std::span<const uint64_t> rows, models::Batch& b, Rng* position_dropout) const {
  const size_t n = rows.size();
  b.size = n;
  b.rows.assign(rows.begin(), rows.end());
  b.dense.resize(n, dense_.size());
  for (size_t j = 0; j < dense_.size(); ++j) {
    const float* col = dense_[j].data();
    for (size_t r = 0; r < n; ++r) b.dense.at(r, j) = col[rows[r]];
  }
  const bool position_input =
      position_.method == models::PositionMethod::kFeature || position_.method == models::PositionMethod::kTower;
  // One more slot for the position ids; a reused batch keeps every slot's buffers.
  b.sparse.resize(sparse_.size() + (position_input ? 1 : 0));
  for (size_t f = 0; f < sparse_.size(); ++f) {
    const Sparse& s = sparse_[f];
    models::SparseInput& in = b.sparse[f];
    if (!s.multi_hot) {
      in.ids.resize(n);
      in.offsets.clear();
      in.weights.clear();
      for (size_t r = 0; r < n; ++r) in.ids[r] = s.ids[rows[r]];
      continue;
    }
    in.offsets.resize(n + 1);
    in.ids.clear();
    in.weights.clear();
    in.offsets[0] = 0;
    for (size_t r = 0; r < n; ++r) {
      const uint64_t lo = s.multi.offsets[rows[r]], hi = s.multi.offsets[rows[r] + 1];
      in.ids.insert(in.ids.end(), s.multi.values.begin() + lo, s.multi.values.begin() + hi);
      if (!s.multi.weights.empty())
        in.weights.insert(in.weights.end(), s.multi.weights.begin() + lo, s.multi.weights.begin() + hi);
      in.offsets[r + 1] = in.ids.size();
    }
  }
  if (position_input) fill_position(rows, b, position_dropout);
  const size_t tasks = labels_.size();
  b.tasks = std::max<size_t>(tasks, 1);
  b.labels.resize(n * tasks);
  for (size_t t = 0; t < tasks; ++t) {
    const std::span<const float> y = labels_[t], m = masks_[t];
    for (size_t r = 0; r < n; ++r) {
      const uint64_t i = rows[r];
      // A mask that is 0 (or missing) removes the row from this task only.
      const bool masked = !m.empty() && models::mask_excludes(m[i]);
      b.labels[r * tasks + t] = masked ? std::numeric_limits<float>::quiet_NaN() : y[i];
    }
  }
  b.task_weights.clear();
  if (position_input_.ipw) {
    // Inverse propensity weights (position_bias.h): a positive of task t at position p counts
    // 1/θ_t(p); negatives and rows without a position count 1 (times the row weight).
    b.task_weights.resize(n * tasks);
    for (size_t r = 0; r < n; ++r) {
      const uint32_t id = position_column_.id(rows[r], position_.max_position);
      const float w = weights_.empty() ? 1.0f : weights_[rows[r]];
      for (size_t t = 0; t < tasks; ++t) {
        const float y = b.labels[r * tasks + t];
        const bool positive = id != 0 && y > 0.5f;
        b.task_weights[r * tasks + t] = positive ? w / std::max(position_.propensity[t][id], position_.clip) : w;
      }
    }
  }
  b.weights.resize(weights_.empty() ? 0 : n);
  for (size_t r = 0; r < b.weights.size(); ++r) b.weights[r] = weights_[rows[r]];
}

BatchStream::BatchStream(const BatchReader& reader, std::span<const uint64_t> rows, size_t batch_size,
                         std::optional<uint64_t> position_dropout_seed)
    : reader_(reader),
      rows_(rows),
      batch_size_(batch_size),
      position_rng_(position_dropout_seed.value_or(0)),
      position_dropout_(position_dropout_seed.has_value() && reader.drops_positions()) {
  RECO_CHECK(batch_size > 0) << "batch size must be positive";
  RECO_CHECK(!position_dropout_ || reader.dropout_slice_ready())
      << "position.slice: the training data has no column marking the unbiased rows for slice-only dropout";
  worker_ = std::thread([this] { produce(); });
}

BatchStream::~BatchStream() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void BatchStream::produce() {
  const size_t total = batches();
  for (size_t k = 0; k < total; ++k) {
    {
      // Buffer k % 2 last held batch k - 2; it is free once the caller has received batch
      // k - 1 (consumed_ >= k), since the caller uses only the batch it received last.
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || k < 2 || consumed_ >= k; });
      if (stop_) return;
    }
    try {
      const size_t lo = k * batch_size_;
      const size_t hi = std::min(rows_.size(), lo + batch_size_);
      reader_.fill(rows_.subspan(lo, hi - lo), buffers_[k % 2],
                   position_dropout_ ? &position_rng_ : nullptr);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      error_ = std::current_exception();
      stop_ = true;
      cv_.notify_all();
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      produced_ = k + 1;
    }
    cv_.notify_all();
  }
}

const models::Batch* BatchStream::next() {
  std::unique_lock<std::mutex> lock(mu_);
  if (consumed_ >= batches()) {
    ++consumed_;
    cv_.notify_all();
    return nullptr;
  }
  cv_.wait(lock, [&] { return error_ || produced_ > consumed_; });
  if (error_) std::rethrow_exception(error_);
  const models::Batch* b = &buffers_[consumed_ % 2];
  ++consumed_;
  cv_.notify_all();
  return b;
}

}  // namespace reco::train
