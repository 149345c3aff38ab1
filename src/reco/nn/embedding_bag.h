// EmbeddingBag — pooled lookups into an embedding table, with row-sparse gradients.
//
// Table layout: Parameter.value is [table rows, dim], row i = embedding of id i; the
// Parameter is marked sparse, so optimizers update it from a RowGrad (only touched rows).
//
// A batch of bags for one table is CSR: bag b holds ids[offsets[b] - offsets[0],
// offsets[b+1] - offsets[0]) with optional per-id weights (empty = all 1). Offsets need not
// start at 0, so a slice of a larger batch is a BagBatch without copying: the offsets
// sub-span plus the matching ids sub-span. One-hot lookups pass empty offsets: bag b is
// exactly ids[b]. Pooling: sum of weight * row, or mean (sum divided by the bag's id count;
// an empty bag pools to zeros).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reco/core/rng.h"
#include "reco/nn/parameter.h"

namespace reco::nn {

enum class Pooling : uint8_t { kSum, kMean };
/// "sum" | "mean".
Pooling parse_pooling(std::string_view name);
std::string_view pooling_name(Pooling p);

struct BagBatch {
  std::span<const uint32_t> ids;
  std::span<const uint64_t> offsets;  ///< bags + 1 entries, or empty for one id per bag
  std::span<const float> weights;     ///< empty or ids.size()
  size_t bags() const { return offsets.empty() ? ids.size() : offsets.size() - 1; }
  size_t bag_begin(size_t b) const { return offsets.empty() ? b : offsets[b] - offsets[0]; }
  size_t bag_end(size_t b) const { return offsets.empty() ? b + 1 : offsets[b + 1] - offsets[0]; }
  /// Bags [lo, hi) as a BagBatch viewing the same memory.
  BagBatch slice(size_t lo, size_t hi) const;
};

/// Scratch reused across steps by build_row_grad (no allocation in steady state).
struct RowGradScratch {
  std::vector<uint64_t> keys;
  std::vector<uint64_t> radix;   ///< the radix sort's second buffer (large id ranges)
  std::vector<uint32_t> counts;  ///< counting sort of small id ranges
  std::vector<uint32_t> slot;    ///< running id position -> index of its row in the RowGrad
};

class EmbeddingBag {
 public:
  EmbeddingBag() = default;
  EmbeddingBag(std::string name, size_t rows, size_t dim, Pooling pooling = Pooling::kSum);

  size_t rows() const { return table_.value.rows(); }
  size_t dim() const { return table_.value.cols(); }
  Pooling pooling() const { return pooling_; }
  Parameter& table() { return table_; }
  const Parameter& table() const { return table_; }

  /// Uniform(-scale, scale); scale <= 0 means 1/sqrt(rows) (DLRM's choice).
  void init(Rng& rng, float scale);

  /// out (a [bags, dim] view, possibly a column block of a wider buffer) = pooled rows.
  /// Ids must be < rows() (kInvalidArgument naming the table otherwise).
  void forward(const BagBatch& batch, MatrixView out) const;

  /// Bag b of batch pooled into out[0, dim).
  void pool(const BagBatch& batch, size_t b, float* out) const;
  /// A hint: fetch the row of bag b's first id into the cache.
  void prefetch_bag(const BagBatch& batch, size_t b) const;

  /// Appends this batch's contribution to a row-sparse gradient: every id of bag b adds
  /// weight * dout[b] (divided by the bag size for mean pooling). The result is coalesced:
  /// unique ascending rows, duplicates summed in id order (deterministic).
  void backward(const BagBatch& batch, ConstMatrixView dout, RowGrad& grad, RowGradScratch& scratch) const;

 private:
  Parameter table_;
  Pooling pooling_ = Pooling::kSum;
};

/// EmbeddingBag::forward of every table at once: out's column block f ([bags, dim] at column
/// f * dim) = tables[f] pooled over batches[f]. All tables share one dim; every batch has
/// out.rows bags. The same values as table-by-table forwards, with the memory latency of the
/// rows better hidden (see the .cc).
void forward_tables(std::span<const EmbeddingBag> tables, std::span<const BagBatch> batches, MatrixView out);

/// The coalescing step of EmbeddingBag::backward for several shards of one batch: shard s
/// covers bags whose gradients are dout[s]; the result is as if it were one batch.
void build_row_grad(std::span<const BagBatch> shards, std::span<const ConstMatrixView> douts, Pooling pooling,
                    RowGrad& grad, RowGradScratch& scratch);

/// Plain SGD on a table straight from the per-bag gradients of several shards of one batch:
/// for every lookup in batch order (shard 0's bags first), table[id] -= rate * weight * dout
/// (weight / bag size for mean pooling). The rows EmbeddingBag::backward + an SGD step would
/// give, with each duplicate id applied in turn instead of summed first (equal to rounding;
/// bit for bit when no id repeats), and without sorting the ids. Ids must be < table rows
/// (kInvalidArgument otherwise).
void apply_bag_gradients(std::span<const BagBatch> shards, std::span<const ConstMatrixView> douts, Pooling pooling,
                         float rate, Parameter& table);

}  // namespace reco::nn
