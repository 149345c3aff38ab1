#include "reco/train/trainer.h"

#include "reco/train/position_propensity.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "reco/core/error.h"
#include "reco/core/log.h"
#include "reco/core/progress.h"
#include "reco/core/timer.h"
#include "reco/eval/metric_set.h"
#include "reco/models/model_file.h"
#include "reco/nn/activation.h"
#include "reco/nn/blas.h"
#include "reco/nn/fused_linear.h"
#include "reco/train/batch_reader.h"

namespace reco::train {

void TrainOptions::validate() const {
  RECO_CHECK(batch_size > 0) << "train.batch_size must be positive";
  RECO_CHECK(epochs > 0) << "train.epochs must be positive";
  RECO_CHECK(max_steps >= 0) << "train.max_steps must be >= 0";
  RECO_CHECK(patience >= 0) << "train.patience must be >= 0";
  RECO_CHECK(loss == nn::LossKind::kBceWithLogits || loss == nn::LossKind::kMse)
      << "train.loss: a ctr model trains with bce or mse, got " << nn::loss_name(loss);
  RECO_CHECK(eval_batch_size > 0) << "train.eval_batch_size must be positive";
  if (!metrics.empty() && !monitor.empty()) {
    // "auc" or, for one task of a multi-task model, "<task>/auc".
    const std::string metric = monitor.substr(monitor.find('/') == std::string::npos ? 0 : monitor.find('/') + 1);
    RECO_CHECK(std::find(metrics.begin(), metrics.end(), metric) != metrics.end())
        << "train.monitor '" << monitor << "' must be one of train.metrics (optionally as <task>/<metric>)";
  }
  optimizer.validate();
}

nlohmann::json EpochReport::to_json() const {
  nlohmann::json m = nlohmann::json::object();
  for (const auto& [k, v] : metrics) m[k] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
  return {{"epoch", epoch},     {"steps", steps},     {"samples", samples},
          {"train_loss", train_loss}, {"seconds", seconds}, {"samples_per_second", samples_per_second},
          {"metrics", m}, {"task_losses", task_losses}};
}

nlohmann::json TrainReport::to_json() const {
  nlohmann::json e = nlohmann::json::array();
  for (const auto& r : epochs) e.push_back(r.to_json());
  return {{"epochs", e}, {"best_epoch", best_epoch}, {"stopped_early", stopped_early}, {"seconds", seconds}};
}

bool higher_is_better(std::string_view metric) {
  if (auto slash = metric.find('/'); slash != std::string_view::npos) metric = metric.substr(slash + 1);
  return !(metric == "logloss" || metric == "brier" || metric == "mse" || metric == "rmse");
}

struct Trainer::Impl {
  explicit Impl(int threads) : pool(threads) {}
  ThreadPool pool;
  std::vector<models::ModelWorkspace> ws;
  std::vector<std::vector<float>> dlogits;
  std::vector<double> loss;
  std::vector<std::vector<double>> task_loss;     // per worker, per task (unscaled sums)
  std::vector<double> task_weight, task_mean;     // per task: batch weight, mean loss
  std::vector<float> task_scale;
  std::vector<Rng> dropout_rng;
  std::vector<nn::RowGrad> row_grads;             // one per table
  std::vector<nn::RowGradScratch> scratch;        // one per worker
  // Per worker: the shards of the table it is coalescing (one entry per worker's shard).
  std::vector<std::vector<nn::BagBatch>> shard_bags;
  std::vector<std::vector<nn::ConstMatrixView>> shard_douts;
  std::vector<size_t> dense_slots, table_slots;
  std::vector<nn::Parameter*> dense_params;
};

Trainer::Trainer(models::CtrModel& model, TrainOptions options, RunContext ctx)
    : model_(model), options_(std::move(options)), ctx_(ctx) {
  options_.validate();
  RECO_CHECK(ctx_.threads >= 1) << "threads must be >= 1";
  nn::use_single_threaded_blas();
  impl_ = std::make_unique<Impl>(ctx_.threads);
  optimizer_ = optim::make_optimizer(options_.optimizer);
  impl_->dense_params = model_.dense_parameters();
  for (nn::Parameter* p : impl_->dense_params) impl_->dense_slots.push_back(optimizer_->add(*p));
  for (nn::Parameter* p : model_.tables()) impl_->table_slots.push_back(optimizer_->add(*p));
  const int w = ctx_.threads;
  impl_->ws.resize(w);
  for (auto& ws : impl_->ws) model_.prepare(ws);
  impl_->dlogits.resize(w);
  impl_->loss.resize(w);
  const size_t nt = model_.outputs();
  RECO_CHECK(nt == 1 || options_.loss == nn::LossKind::kBceWithLogits)
      << "train.loss: multi-task models train with bce, got " << nn::loss_name(options_.loss);
  impl_->task_loss.assign(w, std::vector<double>(nt));
  impl_->task_weight.assign(nt, 0.0);
  impl_->task_mean.assign(nt, 0.0);
  impl_->task_scale.assign(nt, 0.0f);
  for (int i = 0; i < w; ++i) impl_->dropout_rng.emplace_back(derive_seed(ctx_.seed, 0x64726f70ULL + i));
  impl_->row_grads.resize(model_.table_count());
  impl_->scratch.resize(w);
  impl_->shard_bags.assign(w, std::vector<nn::BagBatch>(w));
  impl_->shard_douts.assign(w, std::vector<nn::ConstMatrixView>(w));
}

Trainer::~Trainer() = default;

double Trainer::step(const models::Batch& b) {
  Impl& s = *impl_;
  const int workers = s.pool.size();
  const size_t nt = model_.outputs();
  RECO_ASSERT(b.labels.size() == b.size * nt);
  const auto& tasks = model_.features().tasks;
  std::fill(s.task_weight.begin(), s.task_weight.end(), 0.0);
  const bool per_task = !b.task_weights.empty();
  for (size_t i = 0; i < b.size; ++i)
    for (size_t t = 0; t < nt; ++t)
      if (!std::isnan(b.labels[i * nt + t]))
        s.task_weight[t] += per_task ? b.task_weights[i * nt + t] : b.weights.empty() ? 1.0 : b.weights[i];
  double total_weight = 0.0;
  for (double w : s.task_weight) total_weight += w;
  if (total_weight <= 0.0) return 0.0;  // every label masked: nothing to learn from
  const float grad_scale = static_cast<float>(1.0 / total_weight);
  const nn::Parameter* log_var = model_.task_log_variance();
  for (size_t t = 0; t < nt; ++t) {
    double scale = s.task_weight[t] > 0.0 ? tasks[t].loss_weight / s.task_weight[t] : 0.0;
    if (log_var) scale *= std::exp(-static_cast<double>(log_var->value.at(0, t)));
    s.task_scale[t] = static_cast<float>(scale);
  }
  const bool single = nt == 1 && !model_.spec().chained();
  const bool dropout = model_.spec().dropout > 0.0f;

  s.pool.run([&](int w) {
    auto [lo, hi] = ThreadPool::share(b.size, w, workers);
    models::ModelWorkspace& ws = s.ws[w];
    model_.zero_grads(ws);
    s.loss[w] = 0.0;
    if (lo == hi) return;
    const size_t n = hi - lo;
    auto logits = model_.forward(b, lo, hi, ws, dropout ? &s.dropout_rng[w] : nullptr);
    s.dlogits[w].resize(n * nt);
    std::span<const float> labels(b.labels.data() + lo * nt, n * nt);
    std::span<const float> weights = per_task        ? std::span<const float>(b.task_weights.data() + lo * nt, n * nt)
                                     : b.weights.empty() ? std::span<const float>()
                                                         : std::span<const float>(b.weights.data() + lo, n);
    if (!single) {
      nn::multitask_bce_with_logits(nn::ConstMatrixView{logits.data(), n, nt, nt}, labels, weights,
                                    model_.spec().chained(), s.task_scale, s.task_loss[w],
                                    nn::MatrixView{s.dlogits[w].data(), n, nt, nt});
    } else if (options_.loss == nn::LossKind::kMse) {
      s.loss[w] = nn::mse(logits, labels, weights, grad_scale, s.dlogits[w]);
    } else {
      s.loss[w] = nn::bce_with_logits(logits, labels, weights, grad_scale, s.dlogits[w]);
    }
    model_.backward(b, lo, hi, s.dlogits[w], ws);
  });

  double loss = 0.0;
  if (single) {
    for (double l : s.loss) loss += l;
    loss /= total_weight;
    s.task_mean[0] = loss;
  } else {
    for (size_t t = 0; t < nt; ++t) {
      double sum = 0.0;
      for (const auto& tl : s.task_loss) sum += tl[t];
      s.task_mean[t] = s.task_weight[t] > 0.0 ? sum / s.task_weight[t] : 0.0;
      loss += tasks[t].loss_weight * s.task_mean[t];
      // Uncertainty weighting: d/ds_t [w_t exp(-s_t) L_t + s_t / 2] (worker 0's buffer; the
      // other workers' stay zero, so the reduction below passes it through).
      if (log_var && s.task_weight[t] > 0.0)
        s.ws[0].grad_log_var.at(0, t) = static_cast<float>(
            -tasks[t].loss_weight * std::exp(-static_cast<double>(log_var->value.at(0, t))) * s.task_mean[t] + 0.5);
    }
  }

  optimizer_->begin_step();
  const size_t tables = model_.table_count();
  s.pool.run([&](int w) {
    // Dense: this worker reduces and applies slice w of every dense parameter.
    for (size_t i = 0; i < s.dense_params.size(); ++i) {
      nn::Tensor& g0 = *s.ws[0].dense_grads[i];
      auto [lo, hi] = ThreadPool::share(g0.size(), w, workers);
      if (lo == hi) continue;
      float* dst = g0.data();
      for (int v = 1; v < workers; ++v) {
        const float* src = s.ws[v].dense_grads[i]->data();
        for (size_t j = lo; j < hi; ++j) dst[j] += src[j];
      }
      optimizer_->update_dense(s.dense_slots[i], g0, lo, hi);
    }
    // Sparse: table k belongs to worker k mod N; its rows come from every shard.
    std::vector<nn::BagBatch>& shards = s.shard_bags[w];
    std::vector<nn::ConstMatrixView>& douts = s.shard_douts[w];
    for (size_t k = w; k < tables; k += workers) {
      const size_t f = model_.table_feature(k);
      size_t used = 0;
      for (int v = 0; v < workers; ++v) {
        auto [lo, hi] = ThreadPool::share(b.size, v, workers);
        if (lo == hi) continue;
        shards[used] = b.sparse[f].bags().slice(lo, hi);
        douts[used] = model_.table_dout(s.ws[v], k);
        ++used;
      }
      // Plain SGD needs no coalesced RowGrad: each lookup's gradient goes straight into its row.
      const float rate = optimizer_->plain_sgd_rate(s.table_slots[k]);
      if (rate >= 0.0f) {
        nn::apply_bag_gradients({shards.data(), used}, {douts.data(), used}, model_.pooling(), rate,
                                optimizer_->param(s.table_slots[k]));
        continue;
      }
      nn::build_row_grad({shards.data(), used}, {douts.data(), used}, model_.pooling(), s.row_grads[k], s.scratch[w]);
      optimizer_->update_rows(s.table_slots[k], s.row_grads[k]);
    }
  });
  return loss;
}

const std::vector<double>& Trainer::last_task_losses() const { return impl_->task_mean; }

std::vector<float> predict_rows(const models::CtrModel& model, const Dataset& dataset,
                                std::span<const uint64_t> rows, const RunContext& ctx, bool raw_logits,
                                size_t batch_size, bool position_logged) {
  nn::use_single_threaded_blas();
  BatchReader reader(dataset, model.features(), /*with_labels=*/false, PositionInput{!position_logged, false});
  ThreadPool pool(ctx.threads);
  std::vector<models::ModelWorkspace> ws(pool.size());
  const size_t nt = model.outputs();
  const bool chain = model.spec().chained();
  std::vector<float> out(rows.size() * nt);
  BatchStream stream(reader, rows, batch_size);
  size_t done = 0;
  const uint64_t frozen = nn::FrozenWeights::new_id();  // the model is const for the whole pass
  while (const models::Batch* b = stream.next()) {
    model.infer_parallel(
        *b, pool, ws, std::span<float>(out.data() + done * nt, b->size * nt),
        [&](size_t lo, size_t hi, std::span<float> scores) {
          if (!raw_logits) nn::multitask_probabilities(nn::MatrixView{scores.data(), hi - lo, nt, nt}, chain);
        },
        frozen);
    done += b->size;
  }
  return out;
}

std::vector<std::vector<double>> mean_gate_weights(const models::CtrModel& model, const Dataset& dataset,
                                                   std::span<const uint64_t> rows, const RunContext& ctx,
                                                   size_t batch_size) {
  const models::TaskHeads* heads = model.heads();
  if (!heads || heads->kind() != models::HeadKind::kMmoe || rows.empty()) return {};
  nn::use_single_threaded_blas();
  const size_t nt = heads->tasks(), ne = heads->experts();
  BatchReader reader(dataset, model.features(), /*with_labels=*/false);
  ThreadPool pool(ctx.threads);
  std::vector<models::ModelWorkspace> ws(pool.size());
  std::vector<std::vector<double>> sums(pool.size(), std::vector<double>(nt * ne, 0.0));
  BatchStream stream(reader, rows, batch_size);
  while (const models::Batch* b = stream.next()) {
    pool.run([&](int w) {
      auto [lo, hi] = ThreadPool::share(b->size, w, pool.size());
      if (lo == hi) return;
      model.forward(*b, lo, hi, ws[w], nullptr);
      const nn::Tensor& g = ws[w].heads.gates;
      for (size_t r = 0; r < g.rows(); ++r)
        for (size_t j = 0; j < nt * ne; ++j) sums[w][j] += g.at(r, j);
    });
  }
  std::vector<std::vector<double>> out(nt, std::vector<double>(ne, 0.0));
  for (const auto& s : sums)
    for (size_t t = 0; t < nt; ++t)
      for (size_t e = 0; e < ne; ++e) out[t][e] += s[t * ne + e] / static_cast<double>(rows.size());
  return out;
}

std::vector<float> Trainer::predict(const Dataset& dataset, std::span<const uint64_t> rows) {
  return predict_rows(model_, dataset, rows, ctx_, options_.loss == nn::LossKind::kMse, options_.eval_batch_size,
                      /*position_logged=*/true);
}

namespace {

std::vector<nn::Tensor> snapshot(models::CtrModel& model) {
  std::vector<nn::Tensor> out;
  for (nn::Parameter* p : model.parameters()) out.push_back(p->value);
  return out;
}

void restore(models::CtrModel& model, const std::vector<nn::Tensor>& saved) {
  auto params = model.parameters();
  for (size_t i = 0; i < params.size(); ++i) params[i]->value = saved[i];
}
}  // namespace

TrainReport Trainer::fit(const Dataset& ds, std::span<const uint64_t> train_rows, std::span<const uint64_t> eval_rows,
                         const std::function<void(const EpochReport&)>& on_epoch) {
  RECO_CHECK(!train_rows.empty()) << ds.path() << ": no training rows";
  Stopwatch total;
  TrainReport report;
  const models::PositionBias& position = model_.features().position;
  if (position.method == models::PositionMethod::kIpw && position.propensity.empty()) {
    const PropensityEstimate est = estimate_propensities(ds, model_.features(), train_rows);
    model_.set_position_propensity(est.theta);
    propensity_report_ = est.to_json(model_.features());
  }
  BatchReader reader(ds, model_.features(), /*with_labels=*/true,
                     PositionInput{false, position.method == models::PositionMethod::kIpw});
  const bool evaluating = !eval_rows.empty() && !options_.metrics.empty();
  int first_epoch = 1;
  double best = NAN;
  int bad_epochs = 0;
  if (!options_.resume.empty()) {
    auto loaded = models::load_model(options_.resume);
    restore(model_, snapshot(loaded.model));
    models::load_optimizer_state(options_.resume, *optimizer_);
    RECO_CHECK(loaded.train_state.has_value()) << options_.resume << ": not a checkpoint (no train_state)";
    first_epoch = loaded.train_state->at("epoch").get<int>() + 1;
    report.best_epoch = loaded.train_state->value("best_epoch", 0);
    if (loaded.train_state->contains("best") && !loaded.train_state->at("best").is_null())
      best = loaded.train_state->at("best").get<double>();
    bad_epochs = loaded.train_state->value("bad_epochs", 0);
  }
  std::vector<nn::Tensor> best_weights;
  // A checkpoint holds its own epoch's weights: when that epoch is the best so far, they are
  // the ones keep_best must return to. (An earlier best epoch's weights are not in the file.)
  if (!options_.resume.empty() && options_.keep_best && report.best_epoch == first_epoch - 1)
    best_weights = snapshot(model_);
  std::vector<uint64_t> order(train_rows.begin(), train_rows.end());
  const bool higher = higher_is_better(options_.monitor);
  for (int epoch = first_epoch; epoch <= options_.epochs; ++epoch) {
    if (options_.max_steps > 0 && optimizer_->step() >= options_.max_steps) break;
    Stopwatch clock;
    if (options_.shuffle) {
      // Seeded per epoch, so a resumed run sees the same order it would have seen.
      std::copy(train_rows.begin(), train_rows.end(), order.begin());
      Rng rng(derive_seed(ctx_.seed, 0x65706f6368ULL + epoch));
      for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
    }
    // Dropout streams too are seeded per epoch, so a resumed run draws the same masks.
    for (size_t w = 0; w < impl_->dropout_rng.size(); ++w) {
      const uint64_t stream = derive_seed(ctx_.seed, 0x64726f70ULL + w);
      impl_->dropout_rng[w] = Rng(derive_seed(stream, static_cast<uint64_t>(epoch)));
    }
    EpochReport er;
    er.epoch = epoch;
    double loss_sum = 0.0;
    std::vector<double> task_sums(model_.outputs(), 0.0);
    {
      BatchStream stream(reader, order, options_.batch_size, derive_seed(ctx_.seed, 0x706f736974ULL + epoch));
      Progress progress(fmt::format("epoch {}/{}", epoch, options_.epochs), order.size(), ctx_);
      while (const models::Batch* b = stream.next()) {
        const double l = step(*b);
        loss_sum += l * b->size;
        for (size_t t = 0; t < task_sums.size(); ++t) task_sums[t] += impl_->task_mean[t] * b->size;
        er.samples += b->size;
        ++er.steps;
        progress.add(b->size);
        if (er.steps % 50 == 0) progress.set_extra(fmt::format("loss={:.4f}", loss_sum / er.samples));
        if (options_.max_steps > 0 && optimizer_->step() >= options_.max_steps) break;
      }
      progress.finish();
    }
    er.seconds = clock.elapsed_seconds();
    er.train_loss = er.samples ? loss_sum / er.samples : 0.0;
    if (task_sums.size() > 1)
      for (size_t t = 0; t < task_sums.size(); ++t)
        er.task_losses[model_.features().tasks[t].name] = er.samples ? task_sums[t] / er.samples : 0.0;
    er.samples_per_second = er.seconds > 0 ? er.samples / er.seconds : 0.0;
    if (evaluating) {
      auto predictions = predict(ds, eval_rows);
      er.metrics = evaluate_predictions(options_.metrics, predictions, ds, model_.features(), eval_rows).values();
      const auto it = er.metrics.find(options_.monitor);
      if (it == er.metrics.end()) {
        std::string keys;
        for (const auto& [k, v] : er.metrics) keys += (keys.empty() ? "" : ", ") + k;
        RECO_THROW(ErrorCode::kInvalidArgument) << "train.monitor '" << options_.monitor
                                                << "' is not among the evaluated metrics (" << keys << ")";
      }
      const double value = it->second;
      const bool improved = std::isnan(best) || (higher ? value > best : value < best);
      if (improved) {
        best = value;
        report.best_epoch = epoch;
        bad_epochs = 0;
        if (options_.keep_best) best_weights = snapshot(model_);
      } else {
        ++bad_epochs;
      }
    } else {
      report.best_epoch = epoch;
    }
    report.epochs.push_back(er);
    if (on_epoch) on_epoch(er);
    if (!options_.checkpoint.empty()) {
      models::SaveOptions save;
      save.optimizer = optimizer_.get();
      save.train_state = nlohmann::json{{"epoch", epoch},
                                        {"step", optimizer_->step()},
                                        {"best_epoch", report.best_epoch},
                                        {"best", std::isnan(best) ? nlohmann::json(nullptr) : nlohmann::json(best)},
                                        {"bad_epochs", bad_epochs}};
      models::save_model(options_.checkpoint, model_, save);
    }
    if (options_.patience > 0 && bad_epochs >= options_.patience) {
      report.stopped_early = true;
      break;
    }
  }
  if (options_.keep_best && !best_weights.empty()) restore(model_, best_weights);
  report.seconds = total.elapsed_seconds();
  return report;
}

}  // namespace reco::train
