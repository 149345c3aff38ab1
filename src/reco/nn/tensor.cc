#include "reco/nn/tensor.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "reco/core/error.h"

namespace reco::nn {

namespace {
constexpr size_t kAlignment = 64;
// Tensors this large (embedding tables, mostly) go on 2 MiB-aligned memory the kernel is asked to
// back with transparent huge pages: random row lookups in a 100k-row table otherwise miss the TLB
// on nearly every row (a DLRM forward at batch 2048 spent ~15 % of its time in the gathers). Where
// THP is off ("never") madvise is a no-op hint and nothing changes.
constexpr size_t kHugeThreshold = size_t{4} << 20;
constexpr size_t kHugeAlignment = size_t{2} << 20;

float* allocate(size_t count) {
  if (count == 0) return nullptr;
  const bool huge = count * sizeof(float) >= kHugeThreshold;
  const size_t align = huge ? kHugeAlignment : kAlignment;
  const size_t bytes = (count * sizeof(float) + align - 1) / align * align;
  void* p = std::aligned_alloc(align, bytes);
  if (!p) RECO_THROW(ErrorCode::kResourceExhausted) << "out of memory allocating a tensor of " << count << " floats";
  if (huge) madvise(p, bytes, MADV_HUGEPAGE);  // a hint: failure only means 4 KiB pages
  return static_cast<float*>(p);
}
}  // namespace

void MatrixView::fill(float value) const {
  for (size_t r = 0; r < rows; ++r) std::fill_n(row(r), cols, value);
}

Tensor::Tensor(size_t rows, size_t cols) { resize(rows, cols, /*zero=*/true); }

Tensor::Tensor(const Tensor& other) {
  resize(other.rows_, other.cols_);
  if (size()) std::memcpy(data_, other.data_, size() * sizeof(float));
}

Tensor& Tensor::operator=(const Tensor& other) {
  if (this != &other) {
    resize(other.rows_, other.cols_);
    if (size()) std::memcpy(data_, other.data_, size() * sizeof(float));
  }
  return *this;
}

Tensor::Tensor(Tensor&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      rows_(std::exchange(other.rows_, 0)),
      cols_(std::exchange(other.cols_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

Tensor& Tensor::operator=(Tensor&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = std::exchange(other.data_, nullptr);
    rows_ = std::exchange(other.rows_, 0);
    cols_ = std::exchange(other.cols_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

Tensor::~Tensor() { std::free(data_); }

void Tensor::resize(size_t rows, size_t cols, bool zero) {
  const size_t need = rows * cols;
  if (need > capacity_) {
    std::free(data_);
    data_ = nullptr;
    capacity_ = 0;
    data_ = allocate(need);
    capacity_ = need;
  }
  rows_ = rows;
  cols_ = cols;
  if (zero && need) std::memset(data_, 0, need * sizeof(float));
}

void Tensor::zero() {
  if (size()) std::memset(data_, 0, size() * sizeof(float));
}

void Tensor::fill(float value) { std::fill_n(data_, size(), value); }

}  // namespace reco::nn
