#include "reco/nn/bf16_gemm.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "reco/core/error.h"
#include "reco/nn/blas.h"

#ifdef RECO_HAVE_DNNL
#include <oneapi/dnnl/dnnl.hpp>

#include "reco/nn/dnnl_engine.h"
#endif

namespace reco::nn {

namespace {
uint16_t round_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  // Round to nearest even on the 16 dropped bits; a NaN keeps a set mantissa bit (stays NaN).
  const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  const bool nan = (u & 0x7fffffffu) > 0x7f800000u;
  return static_cast<uint16_t>(nan ? ((u >> 16) | 0x40u) : rounded);
}


void convert_scalar(const float* s, uint16_t* d, size_t n) {
  for (size_t j = 0; j < n; ++j) d[j] = round_to_bf16(s[j]);
}

#if defined(__x86_64__) && defined(__GNUC__)
// The same rounding, 16 floats at a time with AVX512F integer ops (bit-identical to
// round_to_bf16; the binary stays runnable on any x86-64: chosen at run time). Conversions are
// ~15% of the GEMM time at batch 2048 with the scalar loop.
__attribute__((target("avx512f"))) void convert_avx512(const float* s, uint16_t* d, size_t n) {
  const __m512i bias = _mm512_set1_epi32(0x7fff), one = _mm512_set1_epi32(1), quiet = _mm512_set1_epi32(0x40);
  size_t j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m512 x = _mm512_loadu_ps(s + j);
    const __m512i u = _mm512_castps_si512(x);
    // maskz shifts: GCC 12's plain _mm512_srli_epi32 warns (-Wmaybe-uninitialized) on its
    // internal undefined source.
    const __m512i hi = _mm512_maskz_srli_epi32(0xffff, u, 16);
    const __m512i sum = _mm512_add_epi32(_mm512_add_epi32(u, bias), _mm512_and_si512(hi, one));
    const __m512i rounded = _mm512_maskz_srli_epi32(0xffff, sum, 16);
    const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
    const __m512i out = _mm512_mask_blend_epi32(nan, rounded, _mm512_or_si512(hi, quiet));
    _mm512_mask_cvtepi32_storeu_epi16(d + j, 0xffff, out);
  }
  convert_scalar(s + j, d + j, n - j);
}
#endif

using ConvertFn = void (*)(const float*, uint16_t*, size_t);
ConvertFn pick_convert() {
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx512f")) return convert_avx512;
#endif
  return convert_scalar;
}
}  // namespace

void to_bf16(ConstMatrixView src, Bf16Matrix& dst) {
  static const ConvertFn convert = pick_convert();
  dst.rows = src.rows;
  dst.cols = src.cols;
  dst.data.resize(src.rows * src.cols);
  if (src.contiguous()) {
    convert(src.data, dst.data.data(), src.rows * src.cols);
    return;
  }
  for (size_t r = 0; r < src.rows; ++r) convert(src.row(r), dst.data.data() + r * src.cols, src.cols);
}

float bf16_to_float(uint16_t v) {
  const uint32_t u = static_cast<uint32_t>(v) << 16;
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

#ifdef RECO_HAVE_DNNL

namespace {
using dt = dnnl::memory::data_type;
using dims = dnnl::memory::dims;

// A row-major [rows, cols] matrix, or the transpose view of a row-major [cols, rows] buffer.
dnnl::memory::desc desc(size_t rows, size_t cols, bool transposed, dt type, size_t stride) {
  const auto r = static_cast<dnnl::memory::dim>(rows), c = static_cast<dnnl::memory::dim>(cols);
  const auto s = static_cast<dnnl::memory::dim>(stride);
  return dnnl::memory::desc(dims{r, c}, type, transposed ? dims{1, s} : dims{s, 1});
}

dnnl::matmul::primitive_desc make_pd(size_t m, size_t n, size_t k, bool ta, bool tb, bool accumulate, size_t ldc) {
  dnnl::primitive_attr attr;
  if (accumulate) {
    dnnl::post_ops ops;
    ops.append_sum(1.0f);
    attr.set_post_ops(ops);
  }
  const auto a = desc(m, k, ta, dt::bf16, ta ? m : k);
  const auto b = desc(k, n, tb, dt::bf16, tb ? k : n);
  const auto c = desc(m, n, false, dt::f32, ldc);
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, b, c), attr, dnnl_cpu_engine());
}
}  // namespace

struct Bf16Gemm::Impl {
  struct Key {
    size_t m, n, k, ldc;
    bool ta, tb, acc;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      size_t h = k.m * 1000003u ^ k.n * 7919u ^ k.k * 104729u ^ k.ldc * 31u;
      return h ^ (k.ta ? 1u : 0u) ^ (k.tb ? 2u : 0u) ^ (k.acc ? 4u : 0u);
    }
  };
  struct Entry {
    dnnl::matmul prim;
    dnnl::memory a, b, c;  // descriptors fixed by the key; data handles set per call
  };
  dnnl::stream stream{dnnl_cpu_engine()};
  std::unordered_map<Key, Entry, KeyHash> cache;
};

Bf16Gemm::Bf16Gemm() = default;
Bf16Gemm::~Bf16Gemm() = default;
Bf16Gemm::Bf16Gemm(const Bf16Gemm&) {}
Bf16Gemm& Bf16Gemm::operator=(const Bf16Gemm& other) {
  if (this != &other) impl_.reset();
  return *this;
}
Bf16Gemm::Bf16Gemm(Bf16Gemm&&) noexcept = default;
Bf16Gemm& Bf16Gemm::operator=(Bf16Gemm&&) noexcept = default;

size_t Bf16Gemm::cached() const { return impl_ ? impl_->cache.size() : 0; }

void Bf16Gemm::gemm(bool transpose_a, bool transpose_b, const Bf16Matrix& a, const Bf16Matrix& b, bool accumulate,
                    MatrixView c) {
  const auto [m, k, n] =
      checked_gemm_shape("bf16 gemm", transpose_a, transpose_b, a.rows, a.cols, b.rows, b.cols, c.rows, c.cols);
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (!accumulate)
      for (size_t r = 0; r < m; ++r) std::memset(c.row(r), 0, n * sizeof(float));
    return;
  }
  use_single_threaded_onednn_here();
  if (!impl_) impl_ = std::make_unique<Impl>();
  const size_t ldc = std::max<size_t>(c.stride, n);
  const Impl::Key key{m, n, k, ldc, transpose_a, transpose_b, accumulate};
  auto it = impl_->cache.find(key);
  if (it == impl_->cache.end()) {
    auto pd = make_pd(m, n, k, transpose_a, transpose_b, accumulate, ldc);
    Impl::Entry e{dnnl::matmul(pd), dnnl::memory(pd.src_desc(), dnnl_cpu_engine(), DNNL_MEMORY_NONE),
                  dnnl::memory(pd.weights_desc(), dnnl_cpu_engine(), DNNL_MEMORY_NONE),
                  dnnl::memory(pd.dst_desc(), dnnl_cpu_engine(), DNNL_MEMORY_NONE)};
    it = impl_->cache.emplace(key, std::move(e)).first;
  }
  Impl::Entry& e = it->second;
  e.a.set_data_handle(const_cast<uint16_t*>(a.data.data()));
  e.b.set_data_handle(const_cast<uint16_t*>(b.data.data()));
  e.c.set_data_handle(c.data);
  e.prim.execute(impl_->stream, {{DNNL_ARG_SRC, e.a}, {DNNL_ARG_WEIGHTS, e.b}, {DNNL_ARG_DST, e.c}});
  impl_->stream.wait();
}

bool bf16_supported(std::string* why) {
  static const std::string impl = [] {
    try {
      return std::string(make_pd(64, 64, 64, false, true, false, 64).impl_info_str());
    } catch (const dnnl::error& e) {
      return std::string("ref (no bf16 matmul: ") + e.what() + ")";
    }
  }();
  if (why) *why = impl;
  return impl.find("ref") == std::string::npos;
}

#else  // built without oneDNN: bf16 is unavailable

struct Bf16Gemm::Impl {};
Bf16Gemm::Bf16Gemm() = default;
Bf16Gemm::~Bf16Gemm() = default;
Bf16Gemm::Bf16Gemm(const Bf16Gemm&) {}
Bf16Gemm& Bf16Gemm::operator=(const Bf16Gemm&) { return *this; }
Bf16Gemm::Bf16Gemm(Bf16Gemm&&) noexcept = default;
Bf16Gemm& Bf16Gemm::operator=(Bf16Gemm&&) noexcept = default;
size_t Bf16Gemm::cached() const { return 0; }
void Bf16Gemm::gemm(bool, bool, const Bf16Matrix&, const Bf16Matrix&, bool, MatrixView) {
  RECO_THROW(ErrorCode::kInvalidArgument) << "bf16 gemm: reco was built without oneDNN (libdnnl-dev)";
}
bool bf16_supported(std::string* why) {
  if (why) *why = "reco was built without oneDNN (install libdnnl-dev and reconfigure)";
  return false;
}

#endif

void require_bf16(const std::string& what) {
  std::string why;
  RECO_CHECK(bf16_supported(&why)) << what << " = \"bf16\" needs oneDNN with a native bf16 matmul on this CPU "
                                   << "(AVX512-BF16 or AMX); oneDNN reports: " << why << ". Use \"fp32\".";
}

}  // namespace reco::nn
