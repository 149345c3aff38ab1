#include "reco/nn/embedding_bag.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <utility>

#include "reco/core/error.h"

namespace reco::nn {

Pooling parse_pooling(std::string_view name) {
  if (name == "sum") return Pooling::kSum;
  if (name == "mean") return Pooling::kMean;
  RECO_THROW(ErrorCode::kInvalidArgument) << "unknown pooling '" << name << "' (expected sum, mean)";
}

std::string_view pooling_name(Pooling p) { return p == Pooling::kSum ? "sum" : "mean"; }

BagBatch BagBatch::slice(size_t lo, size_t hi) const {
  BagBatch out;
  const size_t ilo = bag_begin(lo), ihi = hi > lo ? bag_end(hi - 1) : ilo;
  out.ids = ids.subspan(ilo, ihi - ilo);
  if (!offsets.empty()) out.offsets = offsets.subspan(lo, hi - lo + 1);
  if (!weights.empty()) out.weights = weights.subspan(ilo, ihi - ilo);
  return out;
}

EmbeddingBag::EmbeddingBag(std::string name, size_t rows, size_t dim, Pooling pooling) : pooling_(pooling) {
  RECO_CHECK(rows > 0 && dim > 0) << "embedding " << name << ": rows and dim must be positive";
  RECO_CHECK(rows <= UINT32_MAX) << "embedding " << name << ": at most 2^32-1 rows";
  table_.name = std::move(name);
  table_.value = Tensor(rows, dim);
  table_.sparse = true;
  table_.decay = true;
}

void EmbeddingBag::init(Rng& rng, float scale) {
  const double s = scale > 0.0f ? scale : 1.0 / std::sqrt(static_cast<double>(rows()));
  for (float& w : table_.value.span()) w = static_cast<float>((2.0 * rng.uniform() - 1.0) * s);
}

namespace {
// Bags looked up ahead of the one being pooled (forward) or updated (apply_bag_gradients). A
// large table's rows are cache misses; asking for the first row of the bag this far ahead hides
// most of that latency behind the work on the bags in between (a DLRM forward at batch 2048 with
// 26 tables of 100k rows spends a few per cent of its time waiting on these rows otherwise). A
// hint only: results do not depend on it.
constexpr size_t kPrefetchBags = 32;

// out = row (dim floats); d = 16 (64 bytes, one cache line) as a fixed-size copy the compiler
// turns into a few vector moves.
inline void copy_row(const float* row, size_t dim, float* out) {
  if (dim == 16) {
    std::memcpy(out, row, 16 * sizeof(float));
  } else {
    for (size_t j = 0; j < dim; ++j) out[j] = row[j];
  }
}

void prefetch_row(const float* row, size_t dim) {
  const char* p = reinterpret_cast<const char*>(row);
  for (size_t off = 0; off < dim * sizeof(float); off += 64) __builtin_prefetch(p + off);
}
}  // namespace

void EmbeddingBag::pool(const BagBatch& batch, size_t b, float* out) const {
  const size_t d = dim();
  const size_t n = rows();
  const float* table = table_.value.data();
  const size_t lo = batch.bag_begin(b), hi = batch.bag_end(b);
  if (hi - lo == 1 && batch.weights.empty()) {
    const uint32_t id = batch.ids[lo];
    RECO_CHECK(id < n) << "embedding " << table_.name << ": id " << id << " >= table rows " << n;
    const float* row = table + static_cast<size_t>(id) * d;
    for (size_t j = 0; j < d; ++j) out[j] = row[j];  // short rows: a loop beats a memcpy call
    return;
  }
  std::fill_n(out, d, 0.0f);
  for (size_t k = lo; k < hi; ++k) {
    const uint32_t id = batch.ids[k];
    RECO_CHECK(id < n) << "embedding " << table_.name << ": id " << id << " >= table rows " << n;
    const float w = batch.weights.empty() ? 1.0f : batch.weights[k];
    const float* row = table + static_cast<size_t>(id) * d;
    for (size_t j = 0; j < d; ++j) out[j] += w * row[j];
  }
  if (pooling_ == Pooling::kMean && hi > lo) {
    const float inv = 1.0f / static_cast<float>(hi - lo);
    for (size_t j = 0; j < d; ++j) out[j] *= inv;
  }
}

void EmbeddingBag::prefetch_bag(const BagBatch& batch, size_t b) const {
  const size_t first = batch.bag_begin(b);
  if (first < batch.bag_end(b) && batch.ids[first] < rows())
    prefetch_row(table_.value.data() + static_cast<size_t>(batch.ids[first]) * dim(), dim());
}

void EmbeddingBag::forward(const BagBatch& batch, MatrixView out) const {
  RECO_ASSERT(out.rows == batch.bags() && out.cols == dim());
  forward_tables(std::span<const EmbeddingBag>(this, 1), std::span<const BagBatch>(&batch, 1), out);
}

void forward_tables(std::span<const EmbeddingBag> tables, std::span<const BagBatch> batches, MatrixView out) {
  const size_t nt = tables.size();
  RECO_ASSERT(batches.size() == nt);
  if (nt == 0 || out.rows == 0) return;
  const size_t d = tables[0].dim();
  RECO_ASSERT(out.cols == nt * d);
  for (size_t f = 0; f < nt; ++f) {
    RECO_ASSERT(tables[f].dim() == d && batches[f].bags() == out.rows);
    RECO_ASSERT(batches[f].weights.empty() || batches[f].weights.size() == batches[f].ids.size());
  }
  // Table by table (one table's rows at a time stay within the TLB's and the prefetchers'
  // reach: visiting the lookups row by row across all tables was ~25 % slower), each lookup
  // prefetching the one kPrefetchBags later, across the table boundary: a table on its own had
  // no prefetch ahead of its first kPrefetchBags bags (26 x 32 of a 256-row block's lookups).
  for (size_t f = 0; f < nt; ++f) {
    const MatrixView o = out.cols_slice(f * d, d);
    const BagBatch& batch = batches[f];
    if (batch.offsets.empty() && batch.weights.empty()) {
      // One id a bag (a DLRM field): the row is copied here, without pool()'s call, its
      // multi-id set-up and stack frame — ~40 % of a 26-table lookup at d = 16 went there.
      const float* table = tables[f].table().value.data();
      const size_t n = tables[f].rows();
      for (size_t b = 0; b < out.rows; ++b) {
        const size_t ahead = b + kPrefetchBags;
        if (ahead < out.rows) {
          const uint32_t next = batch.ids[ahead];
          if (next < n) prefetch_row(table + static_cast<size_t>(next) * d, d);
        } else if (f + 1 < nt && ahead - out.rows < out.rows) {
          tables[f + 1].prefetch_bag(batches[f + 1], ahead - out.rows);
        }
        const uint32_t id = batch.ids[b];
        RECO_CHECK(id < n) << "embedding " << tables[f].table().name << ": id " << id << " >= table rows " << n;
        copy_row(table + static_cast<size_t>(id) * d, d, o.row(b));
      }
      continue;
    }
    for (size_t b = 0; b < out.rows; ++b) {
      const size_t ahead = b + kPrefetchBags;
      if (ahead < out.rows) {
        tables[f].prefetch_bag(batch, ahead);
      } else if (f + 1 < nt && ahead - out.rows < out.rows) {
        tables[f + 1].prefetch_bag(batches[f + 1], ahead - out.rows);
      }
      tables[f].pool(batch, b, o.row(b));
    }
  }
}

void EmbeddingBag::backward(const BagBatch& batch, ConstMatrixView dout, RowGrad& grad,
                            RowGradScratch& scratch) const {
  build_row_grad(std::span<const BagBatch>(&batch, 1), std::span<const ConstMatrixView>(&dout, 1), pooling_, grad,
                 scratch);
}

namespace {
constexpr size_t kPrefetchRows = 8;  // build_row_grad's look-ahead over the per-bag gradients
}  // namespace

void build_row_grad(std::span<const BagBatch> shards, std::span<const ConstMatrixView> douts, Pooling pooling,
                    RowGrad& grad, RowGradScratch& scratch) {
  RECO_ASSERT(shards.size() == douts.size());
  // Key = (row << 32) | running id position; sorting groups duplicates of a row while
  // keeping their batch order, so the sums are the same for any sharding of the batch.
  size_t total = 0;
  for (const auto& s : shards) total += s.ids.size();
  RECO_CHECK(total < (uint64_t{1} << 32)) << "embedding batch too large: " << total << " ids";
  const size_t dim = douts.empty() ? 0 : douts[0].cols;
  auto& keys = scratch.keys;
  keys.resize(total);
  uint32_t max_id = 0;
  for (const auto& s : shards)
    for (uint32_t id : s.ids) max_id = std::max(max_id, id);
  if (static_cast<size_t>(max_id) < 4 * total + 1024) {
    // Small id range (small tables, or dense ids): a stable counting sort by id gives the
    // order of sorting (id, position) in O(ids + range) instead of O(ids log ids).
    auto& counts = scratch.counts;
    counts.assign(static_cast<size_t>(max_id) + 2, 0);
    for (const auto& s : shards)
      for (uint32_t id : s.ids) ++counts[id + 1];
    for (size_t i = 1; i < counts.size(); ++i) counts[i] += counts[i - 1];
    size_t pos = 0;
    for (const auto& s : shards)
      for (uint32_t id : s.ids) keys[counts[id]++] = (static_cast<uint64_t>(id) << 32) | pos, ++pos;
  } else {
    size_t pos = 0;
    for (const auto& s : shards)
      for (uint32_t id : s.ids) keys[pos] = (static_cast<uint64_t>(id) << 32) | pos, ++pos;
    // Positions go in ascending, so a stable sort by id alone orders the whole key: an LSD radix
    // sort of the id's significant bits, kRadixBits a pass (2 passes for tables up to 4M rows),
    // O(ids) where std::sort's O(ids log ids) was ~2 % of a DLRM training step.
    constexpr int kRadixBits = 11;
    constexpr size_t kBuckets = size_t{1} << kRadixBits;
    auto& other = scratch.radix;
    other.resize(total);
    std::array<uint32_t, kBuckets> start;
    for (int shift = 32; shift < 32 + std::bit_width(max_id); shift += kRadixBits) {
      start.fill(0);
      for (uint64_t k : keys) ++start[(k >> shift) & (kBuckets - 1)];
      uint32_t sum = 0;
      for (auto& c : start) sum += std::exchange(c, sum);
      for (uint64_t k : keys) other[start[(k >> shift) & (kBuckets - 1)]++] = k;
      keys.swap(other);
    }
  }
  size_t unique = 0;
  for (size_t i = 0; i < total; ++i)
    if (i == 0 || (keys[i] >> 32) != (keys[i - 1] >> 32)) ++unique;
  grad.rows.resize(unique);
  grad.values.resize(unique, dim, /*zero=*/true);
  // slot[p] = index in grad.rows of the row that running position p updates.
  auto& slot = scratch.slot;
  slot.resize(total);
  size_t u = static_cast<size_t>(-1);
  uint64_t prev_row = UINT64_MAX;
  for (size_t i = 0; i < total; ++i) {
    const uint64_t row = keys[i] >> 32;
    if (row != prev_row) {
      ++u;
      grad.rows[u] = static_cast<uint32_t>(row);
      prev_row = row;
    }
    slot[keys[i] & 0xffffffffULL] = static_cast<uint32_t>(u);
  }
  // Accumulate in position order: douts are read row after row (they are strided column blocks
  // of a wide buffer, megabytes per batch) and the scattered writes land in grad.values, which
  // is small; each row still sums its ids in batch order, as the sorted keys list them.
  size_t p = 0;
  for (size_t s = 0; s < shards.size(); ++s) {
    const BagBatch& sh = shards[s];
    for (size_t bag = 0; bag < sh.bags(); ++bag) {
      const size_t lo = sh.bag_begin(bag), hi = sh.bag_end(bag);
      const float* d = douts[s].row(bag);
      // The douts rows are 1.7 KB apart and half of them were written on the other core:
      // ask for the row kPrefetchRows bags ahead (perf put ~60 % of this function on the loads).
      if (bag + kPrefetchRows < sh.bags()) __builtin_prefetch(douts[s].row(bag + kPrefetchRows));
      for (size_t k = lo; k < hi; ++k, ++p) {
        float scale = sh.weights.empty() ? 1.0f : sh.weights[k];
        if (pooling == Pooling::kMean) scale /= static_cast<float>(hi - lo);
        float* g = grad.values.row(slot[p]);
        for (size_t j = 0; j < dim; ++j) g[j] += scale * d[j];
      }
    }
  }
}

void apply_bag_gradients(std::span<const BagBatch> shards, std::span<const ConstMatrixView> douts, Pooling pooling,
                         float rate, Parameter& table) {
  RECO_ASSERT(shards.size() == douts.size());
  Tensor& w = table.value;
  const size_t dim = w.cols(), rows = w.rows();
  for (size_t s = 0; s < shards.size(); ++s) {
    const BagBatch& sh = shards[s];
    RECO_ASSERT(douts[s].rows == sh.bags() && douts[s].cols == dim);
    for (size_t bag = 0; bag < sh.bags(); ++bag) {
      const size_t lo = sh.bag_begin(bag), hi = sh.bag_end(bag);
      // The table rows are scattered (cache misses) and the douts rows strided: ask for both
      // kPrefetchBags ahead, as the forward does (each bag's update is a few cycles, so 8 bags
      // ahead, build_row_grad's distance, asked for a row too late to hide a miss).
      if (bag + kPrefetchBags < sh.bags()) {
        __builtin_prefetch(douts[s].row(bag + kPrefetchBags));
        const size_t ahead = sh.bag_begin(bag + kPrefetchBags);
        if (ahead < sh.bag_end(bag + kPrefetchBags) && sh.ids[ahead] < rows)
          __builtin_prefetch(w.row(sh.ids[ahead]), 1);
      }
      const float* d = douts[s].row(bag);
      for (size_t k = lo; k < hi; ++k) {
        const uint32_t id = sh.ids[k];
        RECO_CHECK(id < rows) << "embedding " << table.name << ": id " << id << " >= table rows " << rows;
        float scale = sh.weights.empty() ? 1.0f : sh.weights[k];
        if (pooling == Pooling::kMean) scale /= static_cast<float>(hi - lo);
        float* row = w.row(id);
        for (size_t j = 0; j < dim; ++j) row[j] = row[j] - rate * (scale * d[j]);
      }
    }
  }
}

}  // namespace reco::nn
