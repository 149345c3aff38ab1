#include "reco/retrieval/exact_index.h"

#include <cblas.h>

#include <algorithm>

#include "reco/core/error.h"
#include "reco/core/parallel_for.h"

extern "C" void openblas_set_num_threads(int num_threads);

namespace reco {

namespace {

// Queries per sgemm call: enough rows to amortise streaming an item block, few enough
// that the score tile (query block × item block) stays in L2.
constexpr size_t kQueryBlock = 64;
// Bytes of item vectors per block (~L2 sized): rows = kItemBlockBytes / (4 × dim).
constexpr size_t kItemBlockBytes = 256 * 1024;

void single_threaded_blas() {
  static const bool once = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)once;
}

size_t item_block_rows(uint32_t dim) {
  return std::clamp<size_t>(kItemBlockBytes / (sizeof(float) * dim), 256, 8192);
}

/// A k-bounded heap whose front is the worst kept neighbour (better_neighbor as "less").
class TopK {
 public:
  explicit TopK(size_t k) : k_(k) { heap_.reserve(k); }
  void offer(uint32_t row, float score) {
    if (heap_.size() < k_) {
      heap_.push_back({row, score});
      std::push_heap(heap_.begin(), heap_.end(), better_neighbor);
      return;
    }
    // Rows arrive in increasing order, so a tie with the worst kept never displaces it.
    if (!(score > heap_.front().score)) return;
    std::pop_heap(heap_.begin(), heap_.end(), better_neighbor);
    heap_.back() = {row, score};
    std::push_heap(heap_.begin(), heap_.end(), better_neighbor);
  }
  std::vector<Neighbor> take_sorted() {
    std::sort_heap(heap_.begin(), heap_.end(), better_neighbor);
    return std::move(heap_);
  }

 private:
  size_t k_;
  std::vector<Neighbor> heap_;
};

}  // namespace

ExactIndex::ExactIndex(std::span<const float> vectors, uint32_t dim, EmbeddingMetric metric)
    : dim_(dim), metric_(metric) {
  RECO_CHECK(dim >= 1) << "ExactIndex: dim must be >= 1";
  RECO_CHECK(vectors.size() % dim == 0) << "ExactIndex: " << vectors.size() << " floats is not a multiple of dim "
                                        << dim;
  n_ = vectors.size() / dim;
  RECO_CHECK(n_ < kNoRow) << "ExactIndex: " << n_ << " rows exceed the u32 row range";
  vectors_.assign(vectors.begin(), vectors.end());
  if (metric_ == EmbeddingMetric::kCosine)
    for (size_t r = 0; r < n_; ++r) normalize_in_place({vectors_.data() + r * dim_, dim_});
  single_threaded_blas();
}

void ExactIndex::search_block(const float* queries, size_t q_count, size_t k, const std::vector<char>* keep,
                              std::vector<Neighbor>* out) const {
  const size_t ib = item_block_rows(dim_);
  std::vector<TopK> tops(q_count, TopK(k));
  std::vector<float> scores(q_count * std::min(ib, n_));
  for (size_t i0 = 0; i0 < n_; i0 += ib) {
    const size_t rows = std::min(ib, n_ - i0);
    // scores[q, r] = <query q, item i0 + r>
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(q_count), int(rows), int(dim_), 1.0f, queries,
                int(dim_), vectors_.data() + i0 * dim_, int(dim_), 0.0f, scores.data(), int(rows));
    for (size_t q = 0; q < q_count; ++q) {
      const float* s = scores.data() + q * rows;
      TopK& top = tops[q];
      for (size_t r = 0; r < rows; ++r) {
        const uint32_t row = static_cast<uint32_t>(i0 + r);
        if (keep && !(*keep)[row]) continue;
        top.offer(row, s[r]);
      }
    }
  }
  for (size_t q = 0; q < q_count; ++q) out[q] = tops[q].take_sorted();
}

std::vector<std::vector<Neighbor>> ExactIndex::search_batch(std::span<const float> queries, size_t k,
                                                            const RunContext& ctx, const RowFilter& filter) const {
  RECO_CHECK(queries.size() % dim_ == 0) << "ExactIndex::search_batch: " << queries.size()
                                         << " floats is not a multiple of dim " << dim_;
  const size_t nq = queries.size() / dim_;
  std::vector<std::vector<Neighbor>> out(nq);
  k = std::min(k, n_);
  if (nq == 0 || k == 0) return out;
  // The filter is the same for every query: evaluate it once per row, not once per pair.
  std::vector<char> keep;
  if (filter) {
    keep.resize(n_);
    for (size_t r = 0; r < n_; ++r) keep[r] = filter(static_cast<uint32_t>(r)) ? 1 : 0;
  }
  std::vector<float> normalised;
  const float* qdata = queries.data();
  if (metric_ == EmbeddingMetric::kCosine) {
    normalised.assign(queries.begin(), queries.end());
    for (size_t q = 0; q < nq; ++q) normalize_in_place({normalised.data() + q * dim_, dim_});
    qdata = normalised.data();
  }
  const size_t blocks = (nq + kQueryBlock - 1) / kQueryBlock;
  parallel_for(std::max(1, ctx.threads), 0, blocks, [&](size_t b, size_t e, int) {
    for (size_t blk = b; blk < e; ++blk) {
      const size_t q0 = blk * kQueryBlock, qn = std::min(kQueryBlock, nq - q0);
      search_block(qdata + q0 * dim_, qn, k, filter ? &keep : nullptr, out.data() + q0);
    }
  });
  return out;
}

std::vector<Neighbor> ExactIndex::search(std::span<const float> query, size_t k, const RowFilter& filter) const {
  RECO_CHECK_EQ(query.size(), size_t(dim_)) << "ExactIndex::search: query length";
  k = std::min(k, n_);
  if (k == 0) return {};
  std::vector<float> q(query.begin(), query.end());
  if (metric_ == EmbeddingMetric::kCosine) normalize_in_place(q);
  std::vector<char> keep;
  if (filter) {
    keep.resize(n_);
    for (size_t r = 0; r < n_; ++r) keep[r] = filter(static_cast<uint32_t>(r)) ? 1 : 0;
  }
  std::vector<Neighbor> out;
  search_block(q.data(), 1, k, filter ? &keep : nullptr, &out);
  return out;
}

}  // namespace reco
