#include "reco/nn/fused_linear.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <unordered_map>

#include "reco/core/error.h"
#include "reco/nn/blas.h"

#ifdef RECO_HAVE_DNNL
#include "reco/nn/dnnl_engine.h"
#endif

namespace reco::nn {

namespace {
// The thread's frozen-weights scope (0: none) and the source of scope ids: a pack made in one
// scope is never taken for another, so a later scope or call reorders the weights again.
thread_local uint64_t t_frozen_scope = 0;
std::atomic<uint64_t> g_last_scope{0};
uint64_t next_weights_scope() { return g_last_scope.fetch_add(1, std::memory_order_relaxed) + 1; }
[[maybe_unused]] uint64_t frozen_weights_scope() { return t_frozen_scope; }
}  // namespace

FrozenWeights::FrozenWeights() : FrozenWeights(t_frozen_scope ? t_frozen_scope : next_weights_scope()) {}

FrozenWeights::FrozenWeights(uint64_t id) : id_(id), previous_(t_frozen_scope) {
  RECO_CHECK_CODE(id != 0 && id <= g_last_scope.load(std::memory_order_relaxed), ErrorCode::kInternal)
      << "frozen weights: scope id " << id << " was not made by FrozenWeights::new_id()";
  t_frozen_scope = id;
}

FrozenWeights::~FrozenWeights() { t_frozen_scope = previous_; }

uint64_t FrozenWeights::new_id() { return next_weights_scope(); }

namespace {
[[maybe_unused]] bool fuses(Activation act) { return act == Activation::kNone || act == Activation::kRelu; }

// The input checks both overloads share: kInternal on a caller's shape mistake.
[[maybe_unused]] void check_shapes(size_t x_rows, size_t x_cols, size_t w_rows, size_t w_cols, ConstMatrixView y) {
  RECO_CHECK_CODE(x_cols == w_cols && y.rows == x_rows && y.cols == w_rows, ErrorCode::kInternal)
      << "fused linear shapes: x " << x_rows << "x" << x_cols << ", W " << w_rows << "x" << w_cols << ", y "
      << y.rows << "x" << y.cols;
}

// y[r] = x[r] · w + b for a layer with one output (a ranking head, the DLRM top MLP's last
// layer). As a matmul of N = 1 the kernel pads the output to a full vector of columns and ran at
// ~7 GFLOP/s (256 x 256 -> 1 took 19 us, 1 % of a DLRM forward); as dot products, four rows at a
// time in sixteen-float lanes (independent FMA chains, w's block loaded once per four rows), it
// is several times faster. The sum order per row is fixed, so results are deterministic.
typedef float DotLanes __attribute__((vector_size(16 * sizeof(float))));

// A fixed tree (halves added pairwise): four dependent adds instead of fifteen.
__attribute__((always_inline)) inline float lane_sum(DotLanes v) {
  float a[16];
  std::memcpy(a, &v, sizeof(a));
  for (int width = 8; width > 0; width /= 2)
    for (int i = 0; i < width; ++i) a[i] += a[i + width];
  return a[0];
}

// Rows r .. r + R - 1: R independent lane sums share each 16-float block of w.
template <size_t R>
__attribute__((always_inline)) inline void dot_rows(ConstMatrixView x, size_t r, const float* w, float bias,
                                                    MatrixView y) {
  const size_t k = x.cols, kv = k / 16 * 16;
  DotLanes s[R] = {};
  for (size_t c = 0; c < kv; c += 16) {
    DotLanes wv;
    std::memcpy(&wv, w + c, sizeof(wv));
#pragma GCC unroll 4
    for (size_t q = 0; q < R; ++q) {
      DotLanes a;
      std::memcpy(&a, x.row(r + q) + c, sizeof(a));
      s[q] += a * wv;
    }
  }
#pragma GCC unroll 4
  for (size_t q = 0; q < R; ++q) {
    const float* xr = x.row(r + q);
    float t = lane_sum(s[q]);
    for (size_t c = kv; c < k; ++c) t += xr[c] * w[c];
    y.row(r + q)[0] = t + bias;
  }
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void row_dots(ConstMatrixView x, const float* w,
                                                                            float bias, MatrixView y) {
  size_t r = 0;
  for (; r + 4 <= x.rows; r += 4) dot_rows<4>(x, r, w, bias, y);
  for (; r < x.rows; ++r) dot_rows<1>(x, r, w, bias, y);
}
}  // namespace

#ifdef RECO_HAVE_DNNL

namespace {
using dt = dnnl::memory::data_type;
using dims = dnnl::memory::dims;
}  // namespace

struct FusedLinear::Impl {
  struct Key {
    size_t m, n, k, ldx, ldw, ldy;
    bool bf16, bias, relu, packed;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      size_t h = k.m * 1000003u ^ k.n * 7919u ^ k.k * 104729u ^ k.ldx * 31u ^ k.ldw * 131u ^ k.ldy * 17u;
      return h ^ (k.bf16 ? 1u : 0u) ^ (k.bias ? 2u : 0u) ^ (k.relu ? 4u : 0u) ^ (k.packed ? 8u : 0u);
    }
  };
  struct Entry {
    dnnl::matmul prim;
    dnnl::memory x, w, b, y;  // descriptors fixed by the key; data handles set per call
    dnnl::memory::desc packed_weights;  // key.packed: the blocked layout prim expects
  };
  // A weight matrix reordered once into the blocked layout of the matmul kernels, so that the
  // blocks of a call (or of a frozen-weights scope) skip the copy of W each kernel call makes
  // from a plain layout (~5 % of a DLRM forward at 256-row blocks).
  struct PackKey {
    const void* weight;
    size_t k, n, ldw;
    bool bf16;
    bool operator==(const PackKey&) const = default;
  };
  struct PackKeyHash {
    size_t operator()(const PackKey& k) const {
      return std::hash<const void*>()(k.weight) ^ k.k * 104729u ^ k.n * 7919u ^ k.ldw * 31u ^ (k.bf16 ? 1u : 0u);
    }
  };
  struct Pack {
    dnnl::memory plain, packed;
    dnnl::reorder reorder;
    uint64_t scope = 0;  // the scope whose weights `packed` holds (0: none)
  };
  dnnl::stream stream{dnnl_cpu_engine()};
  std::unordered_map<Key, Entry, KeyHash> cache;
  std::unordered_map<PackKey, Pack, PackKeyHash> packs;
  static constexpr size_t kMaxPacks = 64;
  size_t reorders = 0;

  Entry& entry(const Key& key) {
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    auto& eng = dnnl_cpu_engine();
    const auto sd = [](size_t v) { return static_cast<dnnl::memory::dim>(v); };
    const dt in = key.bf16 ? dt::bf16 : dt::f32;
    const dnnl::memory::desc x(dims{sd(key.m), sd(key.k)}, in, dims{sd(key.ldx), 1});
    // W is [n, k] row-major; the matmul wants [k, n]: the transposed view of the same buffer.
    const dnnl::memory::desc w(dims{sd(key.k), sd(key.n)}, in, dims{1, sd(key.ldw)});
    const dnnl::memory::desc y(dims{sd(key.m), sd(key.n)}, dt::f32, dims{sd(key.ldy), 1});
    const dnnl::memory::desc b = key.bias ? dnnl::memory::desc(dims{1, sd(key.n)}, dt::f32, dims{sd(key.n), 1})
                                          : dnnl::memory::desc();
    dnnl::primitive_attr attr;
    if (key.relu) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
      attr.set_post_ops(ops);
    }
    // packed: the kernel picks the weights' layout ("any"); W is reordered into it once per scope.
    const dnnl::memory::desc w_any(dims{sd(key.k), sd(key.n)}, in, dnnl::memory::format_tag::any);
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(x, key.packed ? w_any : w, b, y), attr, eng);
    Entry e{dnnl::matmul(pd), dnnl::memory(pd.src_desc(), eng, DNNL_MEMORY_NONE),
            dnnl::memory(pd.weights_desc(), eng, DNNL_MEMORY_NONE),
            key.bias ? dnnl::memory(b, eng, DNNL_MEMORY_NONE) : dnnl::memory(),
            dnnl::memory(pd.dst_desc(), eng, DNNL_MEMORY_NONE), pd.weights_desc()};
    return cache.emplace(key, std::move(e)).first->second;
  }

  // W in `layout` (a packed primitive's weights layout), reordered from the plain [n, k] rows
  // unless this scope already did; null when an earlier pack of W has another layout.
  const dnnl::memory* packed(const void* weight, size_t k, size_t n, size_t ldw, bool bf16,
                             const dnnl::memory::desc& layout, uint64_t scope) {
    auto& eng = dnnl_cpu_engine();
    const PackKey key{weight, k, n, ldw, bf16};
    // Keyed by address: a long-lived worker that sees many models (reloads) must not keep a
    // packed copy of each; the packs of the layers in use are simply made again.
    if (packs.size() >= kMaxPacks && !packs.count(key)) packs.clear();
    Pack& p = packs[key];
    if (!p.packed) {
      const auto sd = [](size_t v) { return static_cast<dnnl::memory::dim>(v); };
      const dnnl::memory::desc plain(dims{sd(k), sd(n)}, bf16 ? dt::bf16 : dt::f32, dims{1, sd(ldw)});
      p.plain = dnnl::memory(plain, eng, DNNL_MEMORY_NONE);
      p.packed = dnnl::memory(layout, eng);
      p.reorder = dnnl::reorder(p.plain, p.packed);
    }
    if (p.packed.get_desc() != layout) return nullptr;
    if (p.scope != scope) {
      p.plain.set_data_handle(const_cast<void*>(weight));
      p.reorder.execute(stream, p.plain, p.packed);
      p.scope = scope;
      ++reorders;
    }
    return &p.packed;
  }

  // Runs the blocks: x_row(r) is the address of x's row r; element sizes differ by type.
  template <typename XRow>
  void run(XRow x_row, size_t m, size_t k, size_t ldx, const void* weight, size_t n, size_t ldw, bool bf16,
           const float* bias, Activation act, MatrixView y) {
    // Pack W when it will serve more than one block: inside a frozen-weights scope (later calls
    // reuse it) or when this call alone runs several blocks. A single block copies W itself.
    const uint64_t frozen = frozen_weights_scope();
    const bool several = m > kBlockRows || std::popcount(m) > 1;
    const uint64_t scope = frozen ? frozen : several ? next_weights_scope() : 0;
    for (size_t r0 = 0; r0 < m;) {
      // A tail runs as power-of-two pieces (255 rows = 128 + 64 + ... + 1): whatever batch
      // sizes a server sees, a layer shape has at most 1 + log2(kBlockRows) primitives of each
      // weights layout (plain, packed).
      const size_t left = m - r0;
      const size_t rows = left >= kBlockRows ? kBlockRows : std::bit_floor(left);
      Key key{rows, n, k, ldx, ldw, std::max<size_t>(y.stride, n), bf16, bias != nullptr, act == Activation::kRelu,
              scope != 0};
      const dnnl::memory* w = nullptr;
      if (key.packed) {
        Entry& pe = entry(key);
        w = packed(weight, k, n, ldw, bf16, pe.packed_weights, scope);
        if (!w) key.packed = false;  // W was packed for another layout: run this block plain
      }
      Entry& e = entry(key);
      e.x.set_data_handle(const_cast<void*>(x_row(r0)));
      if (!key.packed) e.w.set_data_handle(const_cast<void*>(weight));
      const dnnl::memory& wm = key.packed ? *w : e.w;
      e.y.set_data_handle(y.row(r0));
      if (bias) {
        e.b.set_data_handle(const_cast<float*>(bias));
        e.prim.execute(stream, {{DNNL_ARG_SRC, e.x}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_BIAS, e.b}, {DNNL_ARG_DST, e.y}});
      } else {
        e.prim.execute(stream, {{DNNL_ARG_SRC, e.x}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, e.y}});
      }
      r0 += rows;
    }
    stream.wait();
    if (!fuses(act)) bias_activation_forward(y, nullptr, act);
  }
};

bool FusedLinear::available() { return true; }

FusedLinear::FusedLinear() = default;
FusedLinear::~FusedLinear() = default;
FusedLinear::FusedLinear(const FusedLinear&) {}
FusedLinear& FusedLinear::operator=(const FusedLinear& other) {
  if (this != &other) impl_.reset();
  return *this;
}
FusedLinear::FusedLinear(FusedLinear&&) noexcept = default;
FusedLinear& FusedLinear::operator=(FusedLinear&&) noexcept = default;

size_t FusedLinear::cached() const { return impl_ ? impl_->cache.size() : 0; }
size_t FusedLinear::packs_made() const { return impl_ ? impl_->reorders : 0; }

void FusedLinear::forward(ConstMatrixView x, ConstMatrixView weight, const float* bias, Activation act,
                          MatrixView y) {
  check_shapes(x.rows, x.cols, weight.rows, weight.cols, y);
  if (x.rows == 0) return;
  if (x.cols == 0) {  // no products: y = act(bias)
    for (size_t r = 0; r < y.rows; ++r) std::fill_n(y.row(r), y.cols, 0.0f);
    bias_activation_forward(y, bias, act);
    return;
  }
  if (weight.rows == 1) {
    row_dots(x, weight.data, bias ? bias[0] : 0.0f, y);
    if (act != Activation::kNone) bias_activation_forward(y, nullptr, act);
    return;
  }
  use_single_threaded_onednn_here();
  if (!impl_) impl_ = std::make_unique<Impl>();
  const size_t ldx = x.rows <= 1 ? std::max(x.stride, x.cols) : x.stride;
  const size_t ldw = weight.rows <= 1 ? std::max(weight.stride, weight.cols) : weight.stride;
  impl_->run([&](size_t r) { return static_cast<const void*>(x.row(r)); }, x.rows, x.cols, ldx, weight.data,
             weight.rows, ldw, false, bias, act, y);
}

void FusedLinear::forward(const Bf16Matrix& x, const Bf16Matrix& weight, const float* bias, Activation act,
                          MatrixView y) {
  check_shapes(x.rows, x.cols, weight.rows, weight.cols, y);
  if (x.rows == 0) return;
  if (x.cols == 0) {
    for (size_t r = 0; r < y.rows; ++r) std::fill_n(y.row(r), y.cols, 0.0f);
    bias_activation_forward(y, bias, act);
    return;
  }
  use_single_threaded_onednn_here();
  if (!impl_) impl_ = std::make_unique<Impl>();
  const uint16_t* base = x.data.data();
  impl_->run([&](size_t r) { return static_cast<const void*>(base + r * x.cols); }, x.rows, x.cols, x.cols,
             weight.data.data(), weight.rows, weight.cols, true, bias, act, y);
}

#else  // built without oneDNN

struct FusedLinear::Impl {};
bool FusedLinear::available() { return false; }
FusedLinear::FusedLinear() = default;
FusedLinear::~FusedLinear() = default;
FusedLinear::FusedLinear(const FusedLinear&) {}
FusedLinear& FusedLinear::operator=(const FusedLinear&) { return *this; }
FusedLinear::FusedLinear(FusedLinear&&) noexcept = default;
FusedLinear& FusedLinear::operator=(FusedLinear&&) noexcept = default;
size_t FusedLinear::cached() const { return 0; }
size_t FusedLinear::packs_made() const { return 0; }
void FusedLinear::forward(ConstMatrixView, ConstMatrixView, const float*, Activation, MatrixView) {
  RECO_THROW(ErrorCode::kInvalidArgument) << "fused linear: reco was built without oneDNN (libdnnl-dev)";
}
void FusedLinear::forward(const Bf16Matrix&, const Bf16Matrix&, const float*, Activation, MatrixView) {
  RECO_THROW(ErrorCode::kInvalidArgument) << "fused linear: reco was built without oneDNN (libdnnl-dev)";
}

#endif

}  // namespace reco::nn
