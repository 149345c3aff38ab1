#include "reco/twotower/trainer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "reco/core/error.h"
#include "reco/core/parallel_for.h"
#include "reco/core/progress.h"
#include "reco/core/timer.h"
#include "reco/nn/blas.h"
#include "reco/optim/optimizer.h"
#include "reco/twotower/in_batch_softmax.h"

namespace reco::twotower {

namespace {

// One worker's slice of a batch and its buffers (reused across steps).
struct Shard {
  size_t r0 = 0, r1 = 0;  // batch rows
  size_t m0 = 0, m1 = 0;  // random-negative columns, relative to B
  std::vector<uint32_t> users, items, hist_ids;
  std::vector<uint64_t> hist_offsets;
  // User-id dropout: the id bags the table gradient uses, one per row (a dropped row's bag is
  // empty, so its id row gets no gradient); offsets stay {0} when dropout is off.
  std::vector<uint32_t> kept_users;
  std::vector<uint64_t> kept_offsets;
  TowerWorkspace uw, iw;
  nn::Tensor du, dv;  // gradients w.r.t. this shard's user / item vectors
  double loss = 0.0;
  nn::BagBatch user_bags() const {
    return kept_offsets.size() > 1 ? nn::BagBatch{kept_users, kept_offsets, {}} : nn::BagBatch{users, {}, {}};
  }
  nn::BagBatch hist_bags() const { return {hist_ids, hist_offsets, {}}; }
  nn::BagBatch item_bags() const { return {items, {}, {}}; }
};

void copy_rows(const nn::Tensor& src, size_t src_row, size_t n, nn::Tensor& dst, size_t dst_row) {
  if (n == 0) return;
  std::memcpy(dst.row(dst_row), src.row(src_row), n * src.cols() * sizeof(float));
}

void add_into(nn::Tensor& acc, const nn::Tensor& g) {
  float* a = acc.data();
  const float* b = g.data();
  for (size_t i = 0; i < acc.size(); ++i) a[i] += b[i];
}

}  // namespace

nlohmann::json TrainReport::to_json() const {
  return {{"samples", samples},
          {"steps", steps},
          {"seconds", seconds},
          {"samples_per_second", samples_per_second},
          {"epoch_loss", epoch_loss}};
}

TwoTowerModel train_two_tower(const Interactions& data, const TwoTowerConfig& config, const RunContext& ctx,
                              TrainReport* report, const TowerFields* fields) {
  config.validate();
  RECO_CHECK(data.size() > 0) << "two-tower: no training interactions";
  nn::use_single_threaded_blas();
  // Rows [0, trained) of the model are the interactions' dense rows, so data.user / data.item
  // index the model directly; cold rows follow.
  auto prefix = [](const std::vector<uint64_t>& all, const std::vector<uint64_t>& trained) {
    return all.size() >= trained.size() && std::equal(trained.begin(), trained.end(), all.begin());
  };
  RECO_CHECK(!fields || (fields->trained_users == data.users() && fields->trained_items == data.items() &&
                         prefix(fields->user_ids, data.user_ids) && prefix(fields->item_ids, data.item_ids)))
      << "two-tower: the feature fields were built for other training ids";
  TwoTowerModel model = fields ? TwoTowerModel(config, *fields, ctx.seed)
                               : TwoTowerModel(config, data.user_ids, data.item_ids, ctx.seed);
  const size_t n = data.size(), d = config.dim, e = config.embed_dim, M = config.random_negatives;
  const bool history = config.history > 0;

  // log Q per item for in-batch columns, and the constant for uniform columns.
  const std::vector<double> freq = data.item_frequency(config.weighted);
  double total = 0.0;
  for (double f : freq) total += f;
  std::vector<float> item_log_q(data.items(), 0.0f);
  const float random_log_q =
      config.logq && M > 0 ? static_cast<float>(std::log(double(M) / double(data.items()))) : 0.0f;

  // Optimizer: LazyAdam is Adam on dense parameters and row-sparse Adam on the tables.
  optim::OptimizerConfig oc;
  oc.kind = optim::OptimizerKind::kLazyAdam;
  oc.schedule.base = config.lr;
  auto opt = optim::make_optimizer(oc);
  const std::vector<nn::Parameter*> params = model.parameters();
  for (nn::Parameter* p : params) opt->add(*p);
  const size_t n_tables = model.table_count();  // parameters() lists the tables first
  const size_t n_user_fields = model.user_fields().count(), n_item_fields = model.item_fields().count();
  const size_t g = config.field_width();

  const int T = std::max(1, ctx.threads);
  std::vector<Shard> shards(T);
  std::vector<nn::Tensor> dense_grads;  // parameters() order after the tables
  nn::Tensor U, V, S;
  std::vector<uint32_t> col_items;
  std::vector<float> col_log_q, weights;
  std::vector<uint8_t> drop_user;  // per batch row, when config.user_id_dropout > 0
  const double id_dropout = config.user_id_dropout;
  std::vector<nn::RowGrad> row_grads(n_tables);
  std::vector<nn::RowGradScratch> scratch(n_tables);
  std::vector<size_t> perm(n);
  for (size_t i = 0; i < n; ++i) perm[i] = i;

  TrainReport rep;
  Progress progress("twotower", uint64_t(n) * config.epochs, ctx);
  Stopwatch clock;
  for (uint32_t epoch = 0; epoch < config.epochs; ++epoch) {
    Rng rng(derive_seed(ctx.seed, 1000 + epoch));
    for (size_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[rng.below(i)]);
    double epoch_loss = 0.0, epoch_weight = 0.0;
    for (size_t pos = 0; pos < n; pos += config.batch) {
      const size_t B = std::min<size_t>(config.batch, n - pos), C = B + M;
      col_items.resize(C);
      col_log_q.resize(C);
      weights.resize(B);
      double wsum = 0.0;
      for (size_t i = 0; i < B; ++i) {
        const size_t row = perm[pos + i];
        col_items[i] = data.item[row];
        weights[i] = config.weighted ? data.weight[row] : 1.0f;
        wsum += weights[i];
      }
      for (size_t j = B; j < C; ++j) col_items[j] = static_cast<uint32_t>(rng.below(data.items()));
      // Drawn after the negatives and only when on, so runs without dropout keep their stream.
      drop_user.assign(id_dropout > 0.0 ? B : 0, 0);
      for (uint8_t& f : drop_user) f = rng.uniform() < id_dropout;
      for (size_t j = 0; j < C; ++j)
        col_log_q[j] = !config.logq ? 0.0f
                       : j < B      ? static_cast<float>(std::log(double(B) * freq[col_items[j]] / total))
                                    : random_log_q;
      RECO_CHECK(wsum > 0.0) << "two-tower: a batch has zero total weight";
      const float grad_scale = static_cast<float>(1.0 / wsum);
      U.resize(B, d);
      V.resize(C, d);
      S.resize(B, C);
      const float inv_t = 1.0f / config.temperature;

      // Phase 1: towers forward.
      parallel_for(T, 0, T, [&](size_t lo, size_t hi, int) {
        for (size_t s = lo; s < hi; ++s) {
          Shard& sh = shards[s];
          sh.r0 = B * s / T, sh.r1 = B * (s + 1) / T, sh.m0 = M * s / T, sh.m1 = M * (s + 1) / T;
          sh.users.clear(), sh.hist_ids.clear(), sh.hist_offsets.assign(1, 0), sh.items.clear();
          sh.kept_users.clear(), sh.kept_offsets.assign(1, 0);
          for (size_t i = sh.r0; i < sh.r1; ++i) {
            const size_t row = perm[pos + i];
            sh.users.push_back(data.user[row]);
            if (!drop_user.empty()) {
              if (!drop_user[i]) sh.kept_users.push_back(data.user[row]);
              sh.kept_offsets.push_back(sh.kept_users.size());
            }
            if (history) {
              const auto h = data.history_before(row, config.history);
              sh.hist_ids.insert(sh.hist_ids.end(), h.begin(), h.end());
              sh.hist_offsets.push_back(sh.hist_ids.size());
            }
            sh.items.push_back(col_items[i]);
          }
          for (size_t j = sh.m0; j < sh.m1; ++j) sh.items.push_back(col_items[B + j]);
          model.user_mlp().prepare(sh.uw.mlp);
          model.item_mlp().prepare(sh.iw.mlp);
          const std::span<const uint8_t> drop =
              drop_user.empty() ? std::span<const uint8_t>() : std::span(drop_user).subspan(sh.r0, sh.r1 - sh.r0);
          if (!sh.users.empty()) model.user_forward(sh.users, sh.hist_bags(), sh.uw, drop);
          if (!sh.items.empty()) model.item_forward(sh.items, sh.iw);
          copy_rows(sh.uw.out, 0, sh.r1 - sh.r0, U, sh.r0);
          copy_rows(sh.iw.out, 0, sh.r1 - sh.r0, V, sh.r0);
          copy_rows(sh.iw.out, sh.r1 - sh.r0, sh.m1 - sh.m0, V, B + sh.m0);
        }
      });
      // Phase 2: logits, softmax gradient and the user tower's backward pass, per row shard.
      parallel_for(T, 0, T, [&](size_t lo, size_t hi, int) {
        for (size_t s = lo; s < hi; ++s) {
          Shard& sh = shards[s];
          sh.loss = 0.0;
          const size_t rows = sh.r1 - sh.r0;
          if (rows == 0) continue;
          nn::MatrixView s_rows = S.view().rows_slice(sh.r0, rows);
          in_batch_logits(U.view().rows_slice(sh.r0, rows), V, sh.r0, col_items, col_log_q, inv_t, s_rows);
          sh.loss = softmax_loss_rows(s_rows, sh.r0, weights, grad_scale);
          // tower_backward uses uw.dout for the normalisation; dU has its own buffer.
          sh.du.resize(rows, d);
          user_grad_rows(s_rows, V, inv_t, sh.du);
          model.tower_backward(true, sh.du, sh.uw);
        }
      });
      // Phase 3: item gradients for each shard's columns from the whole dS.
      parallel_for(T, 0, T, [&](size_t lo, size_t hi, int) {
        for (size_t s = lo; s < hi; ++s) {
          Shard& sh = shards[s];
          const size_t nb = sh.r1 - sh.r0, nm = sh.m1 - sh.m0;
          if (nb + nm == 0) continue;
          sh.dv.resize(nb + nm, d);
          item_grad_cols(S, U, sh.r0, nb, inv_t, sh.dv.view().rows_slice(0, nb));
          item_grad_cols(S, U, B + sh.m0, nm, inv_t, sh.dv.view().rows_slice(nb, nm));
          model.tower_backward(false, sh.dv, sh.iw);
        }
      });

      // Phase 4: reduce gradients in shard order, then update.
      std::vector<nn::BagBatch> ub, hb, ib;
      std::vector<nn::ConstMatrixView> ud, hd, id;
      for (Shard& sh : shards) {
        if (!sh.users.empty()) {
          ub.push_back(sh.user_bags());
          ud.push_back(sh.uw.dinput.view().cols_slice(0, e));
          if (history) {
            hb.push_back(sh.hist_bags());
            hd.push_back(sh.uw.dinput.view().cols_slice(e, e));
          }
        }
        if (!sh.items.empty()) {
          ib.push_back(sh.item_bags());
          id.push_back(sh.iw.dinput.view().cols_slice(0, e));
        }
      }
      size_t t = 0;
      nn::build_row_grad(ub, ud, nn::Pooling::kSum, row_grads[t], scratch[t]);
      ++t;
      if (history) {
        nn::build_row_grad(hb, hd, nn::Pooling::kMean, row_grads[t], scratch[t]);
        ++t;
      }
      nn::build_row_grad(ib, id, nn::Pooling::kSum, row_grads[t], scratch[t]);
      ++t;
      // Feature-field tables (mean-pooled bags, kept in the workspaces by the forward pass).
      for (int side = 0; side < 2; ++side) {
        const size_t nf = side == 0 ? n_user_fields : n_item_fields;
        for (size_t f = 0; f < nf; ++f, ++t) {
          std::vector<nn::BagBatch> fb;
          std::vector<nn::ConstMatrixView> fd;
          for (Shard& sh : shards) {
            TowerWorkspace& ws = side == 0 ? sh.uw : sh.iw;
            if ((side == 0 ? sh.users.empty() : sh.items.empty())) continue;
            fb.push_back(ws.fields.bag(f));
            fd.push_back(ws.dinput.view().cols_slice(side == 0 ? model.user_field_col(f) : model.item_field_col(f), g));
          }
          nn::build_row_grad(fb, fd, nn::Pooling::kMean, row_grads[t], scratch[t]);
        }
      }
      std::vector<nn::Tensor*> grads;
      {
        auto ug = nn::Mlp::gradients(shards[0].uw.mlp);
        auto ig = nn::Mlp::gradients(shards[0].iw.mlp);
        for (size_t s = 1; s < shards.size(); ++s) {
          auto us = nn::Mlp::gradients(shards[s].uw.mlp);
          auto is = nn::Mlp::gradients(shards[s].iw.mlp);
          for (size_t k = 0; k < ug.size(); ++k) add_into(*ug[k], *us[k]);
          for (size_t k = 0; k < ig.size(); ++k) add_into(*ig[k], *is[k]);
        }
        grads = ug;
        grads.insert(grads.end(), ig.begin(), ig.end());
      }
      opt->begin_step();
      parallel_tasks(T, params.size(), [&](size_t slot, int) {
        if (slot < n_tables) {
          opt->update_rows(slot, row_grads[slot]);
        } else {
          opt->update_dense(slot, *grads[slot - n_tables]);
        }
      });

      double batch_loss = 0.0;
      for (const Shard& sh : shards) batch_loss += sh.loss;
      epoch_loss += batch_loss;
      epoch_weight += wsum;
      ++rep.steps;
      rep.samples += B;
      progress.add(B);
      if (progress.enabled()) {
        char buf[64];
        std::snprintf(buf, sizeof(buf), "epoch %u loss %.4f", epoch + 1, batch_loss / wsum);
        progress.set_extra(buf);
      }
    }
    rep.epoch_loss.push_back(epoch_loss / epoch_weight);
  }
  progress.finish();
  rep.seconds = clock.elapsed_seconds();
  rep.samples_per_second = rep.seconds > 0 ? double(rep.samples) / rep.seconds : 0.0;
  if (report) *report = rep;
  return model;
}

Embeddings two_tower_embeddings(const TwoTowerModel& model, const Interactions& data, int threads,
                                nlohmann::json meta) {
  const size_t d = model.config().dim, nu = data.users();
  RECO_CHECK(model.trained_users() == nu && model.trained_items() == data.items())
      << "two_tower_embeddings: the interactions are not the model's training data";
  std::vector<float> items = model.item_vectors(threads);
  std::vector<float> users(nu * d);
  constexpr size_t kChunk = 2048;
  const size_t H = model.config().history;
  parallel_tasks(threads, (nu + kChunk - 1) / kChunk, [&](size_t c, int) {
    const size_t lo = c * kChunk, hi = std::min(nu, lo + kChunk);
    std::vector<uint32_t> rows, hist;
    std::vector<uint64_t> offsets{0};
    for (size_t u = lo; u < hi; ++u) {
      rows.push_back(static_cast<uint32_t>(u));
      const auto h = data.last_items(static_cast<uint32_t>(u), H);
      hist.insert(hist.end(), h.begin(), h.end());
      offsets.push_back(hist.size());
    }
    TowerWorkspace ws;
    model.user_forward(rows, nn::BagBatch{hist, offsets, {}}, ws);
    std::memcpy(users.data() + lo * d, ws.out.data(), ws.out.size() * sizeof(float));
  });
  meta["method"] = "twotower";
  meta["config"] = model.config().to_json();
  return Embeddings(static_cast<uint32_t>(d), EmbeddingMetric::kDot, model.item_ids(), std::move(items), data.user_ids,
                    std::move(users), std::move(meta));
}

}  // namespace reco::twotower
