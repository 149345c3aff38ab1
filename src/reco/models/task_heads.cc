#include "reco/models/task_heads.h"

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
    for (size_t e = 0; e < spec.experts; ++e)
      experts_.emplace_back("expert" + std::to_string(e), in, spec.expert, spec.activation, spec.activation,
                            spec.dropout);
    gate_ = nn::Linear("gate", in, tasks.size() * spec.experts, nn::Activation::kNone);
    tower_in = spec.expert.back();
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
  for (auto& e : experts_) e.init(rng);
  if (kind_ == HeadKind::kMmoe) gate_.init(rng);
  for (auto& t : towers_) t.init(rng);
}

std::vector<nn::Parameter*> TaskHeads::parameters() {
  std::vector<nn::Parameter*> out;
  if (has_shared_)
    for (auto* p : shared_.parameters()) out.push_back(p);
  for (auto& e : experts_)
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
  ws.experts.resize(experts_.size());
  for (size_t e = 0; e < experts_.size(); ++e) experts_[e].prepare(ws.experts[e]);
  ws.towers.resize(towers_.size());
  for (size_t t = 0; t < towers_.size(); ++t) towers_[t].prepare(ws.towers[t]);
  if (kind_ == HeadKind::kMmoe) {
    ws.grad_gate_weight.resize(gate_.out(), gate_.in(), true);
    ws.grad_gate_bias.resize(1, gate_.out(), true);
    ws.mixed.resize(towers_.size());
    ws.dexperts.resize(experts_.size());
  }
}

std::vector<nn::Tensor*> TaskHeads::gradients(TaskHeadsWorkspace& ws, HeadKind kind, bool has_shared) {
  std::vector<nn::Tensor*> out;
  if (has_shared)
    for (auto* g : nn::Mlp::gradients(ws.shared)) out.push_back(g);
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
  ws.experts.resize(experts_.size());
  if (kind_ == HeadKind::kMmoe) {
    ws.mixed.resize(tasks);
    const size_t ne = experts_.size();
    for (size_t e = 0; e < ne; ++e) experts_[e].forward(x, ws.experts[e], dropout_rng);
    gate_.forward(x, ws.gates);
    for (size_t t = 0; t < tasks; ++t) {
      nn::MatrixView g = nn::MatrixView(ws.gates).cols_slice(t * ne, ne);
      nn::softmax_rows(g, g);
    }
    const size_t de = experts_.front().out();
    for (size_t t = 0; t < tasks; ++t) {
      nn::Tensor& f = ws.mixed[t];
      f.resize(n, de, /*zero=*/true);
      for (size_t r = 0; r < n; ++r) {
        float* fr = f.row(r);
        const float* g = ws.gates.row(r) + t * ne;
        for (size_t e = 0; e < ne; ++e) {
          const float* er = ws.experts[e].output().row(r);
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
    const size_t ne = experts_.size();
    const size_t de = experts_.front().out();
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
          const float* er = ws.experts[e].output().row(r);
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
    for (size_t e = 0; e < ne; ++e) {
      experts_[e].backward(x, ws.dexperts[e], ws.experts[e], dx ? &ws.dtmp : nullptr);
      if (dx) add_into(*dx, ws.dtmp);
    }
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

size_t TaskHeads::macs_per_example() const {
  size_t m = has_shared_ ? shared_.macs_per_example() : 0;
  for (const auto& e : experts_) m += e.macs_per_example();
  if (kind_ == HeadKind::kMmoe) m += gate_.in() * gate_.out() + towers_.size() * experts_.size() * experts_.front().out();
  for (const auto& t : towers_) m += t.macs_per_example();
  return m;
}

}  // namespace reco::models
