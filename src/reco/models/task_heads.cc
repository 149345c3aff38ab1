#include "reco/models/task_heads.h"

#include <cmath>
#include <cstring>

#include "reco/core/error.h"
#include "reco/nn/activation.h"

namespace reco::models {

TaskHeads::TaskHeads(const ModelSpec& spec, size_t in, const std::vector<std::string>& tasks)
    : kind_(spec.head) {
  RECO_CHECK(spec.multi_task()) << "TaskHeads: head 'single' has no task heads";
  RECO_CHECK(!tasks.empty()) << "model.head = " << head_kind_name(spec.head) << " needs at least one task";
  size_t tower_in = in;
  if (kind_ == HeadKind::kMmoe) {
    expert_count_ = spec.experts;
    expert_hidden_ = spec.expert.front();
    expert_out_ = spec.expert.back();
    expert_first_ = nn::Linear("experts.0", in, expert_count_ * expert_hidden_, spec.activation);
    if (spec.expert.size() > 1) {
      const std::vector<size_t> rest(spec.expert.begin() + 1, spec.expert.end());
      for (size_t e = 0; e < spec.experts; ++e)
        expert_rest_.emplace_back("expert" + std::to_string(e), expert_hidden_, rest, spec.activation,
                                  spec.activation, spec.dropout);
    }
    gate_ = nn::Linear("gate", in, tasks.size() * spec.experts, nn::Activation::kNone);
    tower_in = expert_out_;
  } else if (!spec.shared.empty()) {
    has_shared_ = true;
    shared_ = nn::Mlp("shared", in, spec.shared, spec.activation, spec.activation, spec.dropout);
    tower_in = spec.shared.back();
  }
  for (const auto& t : tasks)
    towers_.emplace_back("tower." + t, tower_in, spec.tower, spec.activation, nn::Activation::kNone, spec.dropout);
}

void TaskHeads::init(Rng& rng) {
  if (has_shared_) shared_.init(rng);
  if (kind_ == HeadKind::kMmoe) {
    // Xavier over the fused layer would use fan-out E*h1; each expert is its own layer of
    // fan-out h1, so draw each block with that expert's bound.
    const float bound = std::sqrt(6.0f / static_cast<float>(expert_first_.in() + expert_hidden_));
    nn::Tensor& w = expert_first_.weight().value;
    for (size_t i = 0; i < w.size(); ++i) w.data()[i] = (2.0f * rng.uniform_float() - 1.0f) * bound;
    expert_first_.bias().value.zero();
  }
  for (auto& e : expert_rest_) e.init(rng);
  if (kind_ == HeadKind::kMmoe) gate_.init(rng);
  for (auto& t : towers_) t.init(rng);
}

std::vector<nn::Parameter*> TaskHeads::parameters() {
  std::vector<nn::Parameter*> out;
  if (has_shared_)
    for (auto* p : shared_.parameters()) out.push_back(p);
  if (kind_ == HeadKind::kMmoe) {
    out.push_back(&expert_first_.weight());
    out.push_back(&expert_first_.bias());
  }
  for (auto& e : expert_rest_)
    for (auto* p : e.parameters()) out.push_back(p);
  if (kind_ == HeadKind::kMmoe) {
    out.push_back(&gate_.weight());
    out.push_back(&gate_.bias());
  }
  for (auto& t : towers_)
    for (auto* p : t.parameters()) out.push_back(p);
  return out;
}

void TaskHeads::prepare(TaskHeadsWorkspace& ws) const {
  if (has_shared_) shared_.prepare(ws.shared);
  ws.experts.resize(expert_rest_.size());
  for (size_t e = 0; e < expert_rest_.size(); ++e) expert_rest_[e].prepare(ws.experts[e]);
  ws.towers.resize(towers_.size());
  for (size_t t = 0; t < towers_.size(); ++t) towers_[t].prepare(ws.towers[t]);
  if (kind_ == HeadKind::kMmoe) {
    ws.grad_expert_weight.resize(expert_first_.out(), expert_first_.in(), true);
    ws.grad_expert_bias.resize(1, expert_first_.out(), true);
    ws.grad_gate_weight.resize(gate_.out(), gate_.in(), true);
    ws.grad_gate_bias.resize(1, gate_.out(), true);
    ws.mixed.resize(towers_.size());
    ws.dexperts.resize(expert_count_);
  }
}

std::vector<nn::Tensor*> TaskHeads::gradients(TaskHeadsWorkspace& ws, HeadKind kind, bool has_shared) {
  std::vector<nn::Tensor*> out;
  if (has_shared)
    for (auto* g : nn::Mlp::gradients(ws.shared)) out.push_back(g);
  if (kind == HeadKind::kMmoe) {
    out.push_back(&ws.grad_expert_weight);
    out.push_back(&ws.grad_expert_bias);
  }
  for (auto& e : ws.experts)
    for (auto* g : nn::Mlp::gradients(e)) out.push_back(g);
  if (kind == HeadKind::kMmoe) {
    out.push_back(&ws.grad_gate_weight);
    out.push_back(&ws.grad_gate_bias);
  }
  for (auto& t : ws.towers)
    for (auto* g : nn::Mlp::gradients(t)) out.push_back(g);
  return out;
}

void TaskHeads::forward(nn::ConstMatrixView x, TaskHeadsWorkspace& ws, Rng* dropout_rng) const {
  const size_t n = x.rows;
  const size_t tasks = towers_.size();
  ws.logits.resize(n, tasks);
  // Scoring may use a workspace that was never prepare()d (no gradient buffers needed).
  ws.towers.resize(tasks);
  ws.experts.resize(expert_rest_.size());
  if (kind_ == HeadKind::kMmoe) {
    ws.mixed.resize(tasks);
    const size_t ne = expert_count_;
    expert_first_.forward(x, ws.expert_first);
    for (size_t e = 0; e < expert_rest_.size(); ++e)
      expert_rest_[e].forward(nn::ConstMatrixView(ws.expert_first.view()).cols_slice(e * expert_hidden_, expert_hidden_),
                              ws.experts[e], dropout_rng);
    gate_.forward(x, ws.gates);
    for (size_t t = 0; t < tasks; ++t) {
      nn::MatrixView g = nn::MatrixView(ws.gates).cols_slice(t * ne, ne);
      nn::softmax_rows(g, g);
    }
    const size_t de = expert_out_;
    for (size_t t = 0; t < tasks; ++t) {
      nn::Tensor& f = ws.mixed[t];
      f.resize(n, de, /*zero=*/true);
      for (size_t r = 0; r < n; ++r) {
        float* fr = f.row(r);
        const float* g = ws.gates.row(r) + t * ne;
        for (size_t e = 0; e < ne; ++e) {
          const float* er = expert_output(ws, e).row(r);
          const float ge = g[e];
          for (size_t j = 0; j < de; ++j) fr[j] += ge * er[j];
        }
      }
      towers_[t].forward(f, ws.towers[t], dropout_rng);
    }
  } else {
    nn::ConstMatrixView h = x;
    if (has_shared_) {
      shared_.forward(x, ws.shared, dropout_rng);
      h = ws.shared.output().view();
    }
    for (size_t t = 0; t < tasks; ++t) towers_[t].forward(h, ws.towers[t], dropout_rng);
  }
  for (size_t t = 0; t < tasks; ++t) {
    const nn::Tensor& o = ws.towers[t].output();
    for (size_t r = 0; r < n; ++r) ws.logits.at(r, t) = o.at(r, 0);
  }
}

namespace {
void add_into(nn::Tensor& acc, const nn::Tensor& x) {
  float* a = acc.data();
  const float* b = x.data();
  for (size_t i = 0; i < acc.size(); ++i) a[i] += b[i];
}
}  // namespace

void TaskHeads::backward(nn::ConstMatrixView x, nn::ConstMatrixView dlogits, TaskHeadsWorkspace& ws,
                         nn::Tensor* dx) const {
  const size_t n = x.rows;
  const size_t tasks = towers_.size();
  RECO_ASSERT(dlogits.rows == n && dlogits.cols == tasks);
  if (kind_ == HeadKind::kMmoe) {
    const size_t ne = expert_count_;
    const size_t de = expert_out_;
    for (size_t e = 0; e < ne; ++e) ws.dexperts[e].resize(n, de, /*zero=*/true);
    ws.dgates.resize(n, tasks * ne);
    for (size_t t = 0; t < tasks; ++t) {
      // df_t = tower backward; then d e_k += g_tk df_t and d g_tk = <df_t, e_k>.
      towers_[t].backward(ws.mixed[t], dlogits.cols_slice(t, 1), ws.towers[t], &ws.dtmp);
      for (size_t r = 0; r < n; ++r) {
        const float* df = ws.dtmp.row(r);
        const float* g = ws.gates.row(r) + t * ne;
        float* dg = ws.dgates.row(r) + t * ne;
        for (size_t e = 0; e < ne; ++e) {
          const float* er = expert_output(ws, e).row(r);
          float* de_r = ws.dexperts[e].row(r);
          float dot = 0.0f;
          for (size_t j = 0; j < de; ++j) {
            dot += df[j] * er[j];
            de_r[j] += g[e] * df[j];
          }
          dg[e] = dot;
        }
      }
      nn::MatrixView dgt = nn::MatrixView(ws.dgates).cols_slice(t * ne, ne);
      nn::softmax_rows_backward(nn::ConstMatrixView(ws.gates.view()).cols_slice(t * ne, ne), dgt, dgt);
    }
    gate_.backward(x, ws.gates, ws.dgates, ws.grad_gate_weight, ws.grad_gate_bias, dx);
    // Gradient w.r.t. the fused first layer's output, block e = expert e.
    const size_t h1 = expert_hidden_;
    ws.dexpert_first.resize(n, ne * h1);
    for (size_t e = 0; e < ne; ++e) {
      const nn::Tensor* block = &ws.dexperts[e];
      if (!expert_rest_.empty()) {
        expert_rest_[e].backward(nn::ConstMatrixView(ws.expert_first.view()).cols_slice(e * h1, h1), ws.dexperts[e],
                                 ws.experts[e], &ws.dtmp);
        block = &ws.dtmp;
      }
      for (size_t r = 0; r < n; ++r) std::memcpy(ws.dexpert_first.row(r) + e * h1, block->row(r), h1 * sizeof(float));
    }
    expert_first_.backward(x, ws.expert_first, ws.dexpert_first, ws.grad_expert_weight, ws.grad_expert_bias,
                           dx ? &ws.dtmp : nullptr);
    if (dx) add_into(*dx, ws.dtmp);
    return;
  }
  const nn::ConstMatrixView h = has_shared_ ? ws.shared.output().view() : x;
  ws.dh.resize(n, h.cols, /*zero=*/true);
  for (size_t t = 0; t < tasks; ++t) {
    towers_[t].backward(h, dlogits.cols_slice(t, 1), ws.towers[t], &ws.dtmp);
    add_into(ws.dh, ws.dtmp);
  }
  if (has_shared_) {
    shared_.backward(x, ws.dh, ws.shared, dx);
  } else if (dx) {
    dx->resize(n, x.cols);
    std::memcpy(dx->data(), ws.dh.data(), ws.dh.size() * sizeof(float));
  }
}

nn::ConstMatrixView TaskHeads::expert_output(const TaskHeadsWorkspace& ws, size_t k) const {
  if (!expert_rest_.empty()) return ws.experts[k].output().view();
  return nn::ConstMatrixView(ws.expert_first.view()).cols_slice(k * expert_hidden_, expert_hidden_);
}

size_t TaskHeads::macs_per_example() const {
  size_t m = has_shared_ ? shared_.macs_per_example() : 0;
  if (kind_ == HeadKind::kMmoe) m += expert_first_.in() * expert_first_.out();
  for (const auto& e : expert_rest_) m += e.macs_per_example();
  if (kind_ == HeadKind::kMmoe) m += gate_.in() * gate_.out() + towers_.size() * expert_count_ * expert_out_;
  for (const auto& t : towers_) m += t.macs_per_example();
  return m;
}

}  // namespace reco::models
