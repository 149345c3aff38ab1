// Tensor — the one data layout of the neural engine: a row-major float32 matrix
// [rows, cols] (a vector is [1, n]; a batch of activations is [batch, dim]).
// Storage is owned, 64-byte aligned (one cache line, one AVX-512 register) and
// contiguous: element (r, c) lives at data()[r * cols + c].
//
// MatrixView / ConstMatrixView are non-owning windows [rows, cols] with a row stride
// (>= cols) into someone else's storage: a slice of a batch, a column block of a
// concatenation. They never outlive the storage they point into.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace reco::nn {

struct ConstMatrixView {
  const float* data = nullptr;
  size_t rows = 0;
  size_t cols = 0;
  size_t stride = 0;  ///< floats between the starts of consecutive rows
  const float* row(size_t r) const { return data + r * stride; }
  float at(size_t r, size_t c) const { return data[r * stride + c]; }
  bool contiguous() const { return stride == cols || rows <= 1; }
  /// Rows [begin, begin + count).
  ConstMatrixView rows_slice(size_t begin, size_t count) const {
    return {data + begin * stride, count, cols, stride};
  }
  /// Columns [begin, begin + count) of every row.
  ConstMatrixView cols_slice(size_t begin, size_t count) const { return {data + begin, rows, count, stride}; }
};

struct MatrixView {
  float* data = nullptr;
  size_t rows = 0;
  size_t cols = 0;
  size_t stride = 0;
  float* row(size_t r) const { return data + r * stride; }
  float& at(size_t r, size_t c) const { return data[r * stride + c]; }
  bool contiguous() const { return stride == cols || rows <= 1; }
  MatrixView rows_slice(size_t begin, size_t count) const { return {data + begin * stride, count, cols, stride}; }
  MatrixView cols_slice(size_t begin, size_t count) const { return {data + begin, rows, count, stride}; }
  operator ConstMatrixView() const { return {data, rows, cols, stride}; }  // NOLINT: views convert freely
  /// Sets every element to `value`.
  void fill(float value) const;
};

class Tensor {
 public:
  Tensor() = default;
  /// Zero-filled [rows, cols].
  Tensor(size_t rows, size_t cols);
  Tensor(const Tensor& other);
  Tensor& operator=(const Tensor& other);
  Tensor(Tensor&& other) noexcept;
  Tensor& operator=(Tensor&& other) noexcept;
  ~Tensor();

  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  size_t size() const { return rows_ * cols_; }
  bool empty() const { return size() == 0; }
  float* data() { return data_; }
  const float* data() const { return data_; }
  float* row(size_t r) { return data_ + r * cols_; }
  const float* row(size_t r) const { return data_ + r * cols_; }
  float& at(size_t r, size_t c) { return data_[r * cols_ + c]; }
  float at(size_t r, size_t c) const { return data_[r * cols_ + c]; }
  std::span<float> span() { return {data_, size()}; }
  std::span<const float> span() const { return {data_, size()}; }
  MatrixView view() { return {data_, rows_, cols_, cols_}; }
  ConstMatrixView view() const { return {data_, rows_, cols_, cols_}; }
  operator MatrixView() { return view(); }             // NOLINT
  operator ConstMatrixView() const { return view(); }  // NOLINT

  /// Reshapes to [rows, cols]; reallocates only when capacity is short (activation buffers
  /// are resized every batch). Contents are unspecified afterwards unless `zero` is set.
  void resize(size_t rows, size_t cols, bool zero = false);
  void zero();
  void fill(float value);

 private:
  float* data_ = nullptr;
  size_t rows_ = 0;
  size_t cols_ = 0;
  size_t capacity_ = 0;
};

}  // namespace reco::nn
