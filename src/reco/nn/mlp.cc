#include "reco/nn/mlp.h"

#include <algorithm>
#include <cstring>

#include "reco/core/error.h"
#include "reco/nn/blas.h"

namespace reco::nn {

Mlp::Mlp(const std::string& name, size_t in, const std::vector<size_t>& sizes, Activation hidden, Activation last,
         float dropout)
    : sizes_(sizes), dropout_(dropout) {
  RECO_CHECK(!sizes.empty()) << "mlp " << name << ": needs at least one layer";
  RECO_CHECK(dropout >= 0.0f && dropout < 1.0f) << "mlp " << name << ": dropout must be in [0, 1)";
  size_t prev = in;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const bool is_last = i + 1 == sizes.size();
    layers_.emplace_back(name + "." + std::to_string(i), prev, sizes[i], is_last ? last : hidden);
    prev = sizes[i];
  }
}

void Mlp::init(Rng& rng) {
  for (auto& l : layers_) l.init(rng);
}

void Mlp::set_precision(Precision p, const std::string& what) {
  if (p == Precision::kBf16) require_bf16(what);
  precision_ = p;
}

std::vector<Parameter*> Mlp::parameters() {
  std::vector<Parameter*> out;
  for (auto& l : layers_) {
    out.push_back(&l.weight());
    out.push_back(&l.bias());
  }
  return out;
}

void Mlp::prepare(MlpWorkspace& ws) const {
  ws.outputs.resize(layers_.size());
  ws.masks.resize(layers_.size());
  ws.dropped.resize(layers_.size());
  ws.grad_weight.resize(layers_.size());
  ws.grad_bias.resize(layers_.size());
  ws.bf16.resize(precision_ == Precision::kBf16 ? layers_.size() : 0);
  for (size_t i = 0; i < layers_.size(); ++i) {
    ws.grad_weight[i].resize(layers_[i].out(), layers_[i].in(), true);
    ws.grad_bias[i].resize(1, layers_[i].out(), true);
  }
}

std::vector<Tensor*> Mlp::gradients(MlpWorkspace& ws) {
  std::vector<Tensor*> out;
  for (size_t i = 0; i < ws.grad_weight.size(); ++i) {
    out.push_back(&ws.grad_weight[i]);
    out.push_back(&ws.grad_bias[i]);
  }
  return out;
}

namespace {
// fp32 layers fuse bias and activation into the matmul when gemm runs on oneDNN; with
// RECO_SGEMM=openblas the whole fp32 path stays on OpenBLAS (blas.h), e.g. for A/B runs.
bool fuse_fp32_forward() {
  static const bool fuse = FusedLinear::available() && sgemm_library() == SgemmLibrary::kOneDnn;
  return fuse;
}
}  // namespace

void Mlp::forward(ConstMatrixView x, MlpWorkspace& ws, Rng* dropout_rng) const {
  const bool bf16 = precision_ == Precision::kBf16;
  const bool fused = !bf16 && fuse_fp32_forward();
  if (ws.outputs.size() != layers_.size() || (bf16 && ws.bf16.size() != layers_.size())) prepare(ws);
  ConstMatrixView cur = x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    if (bf16) {
      layers_[i].forward_bf16(cur, ws.outputs[i], ws.fused, ws.bf16[i]);
    } else if (fused) {
      layers_[i].forward_fused(cur, ws.outputs[i], ws.fused);
    } else {
      layers_[i].forward(cur, ws.outputs[i]);
    }
    const bool hidden = i + 1 < layers_.size();
    if (hidden && dropout_ > 0.0f && dropout_rng) {
      ws.dropped[i] = ws.outputs[i];
      dropout_forward(ws.dropped[i], dropout_, *dropout_rng, ws.masks[i]);
      cur = ws.dropped[i];
    } else {
      ws.masks[i].resize(0, 0);
      cur = ws.outputs[i];
    }
  }
}

void Mlp::backward(ConstMatrixView x, ConstMatrixView dy, MlpWorkspace& ws, Tensor* dx) const {
  RECO_ASSERT(ws.outputs.size() == layers_.size());
  Tensor* d = &ws.dbuf[0];
  d->resize(dy.rows, dy.cols);
  for (size_t r = 0; r < dy.rows; ++r) std::memcpy(d->row(r), dy.row(r), dy.cols * sizeof(float));
  for (size_t i = layers_.size(); i-- > 0;) {
    // d is the gradient w.r.t. what the next layer saw: the dropped output when dropout ran.
    if (!ws.masks[i].empty()) dropout_backward(ws.masks[i], *d);
    ConstMatrixView input = x;
    if (i > 0) input = ws.masks[i - 1].empty() ? ws.outputs[i - 1].view() : ws.dropped[i - 1].view();
    Tensor* next = nullptr;
    if (i > 0) {
      next = d == &ws.dbuf[0] ? &ws.dbuf[1] : &ws.dbuf[0];
    } else {
      next = dx;
    }
    if (precision_ == Precision::kBf16) {
      layers_[i].backward_bf16(input, ws.outputs[i], *d, ws.grad_weight[i], ws.grad_bias[i], next, ws.bf16_gemm,
                               ws.bf16[i]);
    } else {
      layers_[i].backward(input, ws.outputs[i], *d, ws.grad_weight[i], ws.grad_bias[i], next);
    }
    if (i > 0) d = next;
  }
}

size_t Mlp::macs_per_example() const {
  size_t m = 0;
  for (const auto& l : layers_) m += l.in() * l.out();
  return m;
}

}  // namespace reco::nn
