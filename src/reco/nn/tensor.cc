#include "reco/nn/tensor.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "reco/core/error.h"

namespace reco::nn {

namespace {
constexpr size_t kAlignment = 64;

float* allocate(size_t count) {
  if (count == 0) return nullptr;
  const size_t bytes = (count * sizeof(float) + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, bytes);
  if (!p) RECO_THROW(ErrorCode::kResourceExhausted) << "out of memory allocating a tensor of " << count << " floats";
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
