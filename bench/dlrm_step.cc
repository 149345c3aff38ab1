// bench/dlrm_step — Google Benchmark of whole DLRM steps at the issue-4 shapes (13 dense, 26
// tables of 100,000 x 16, bottom 512-256-64-16, top 512-256-1, SGD, batch 2048), the units that
// `reco bench train` times, without its process start-up (~1 s of table set-up per run) so that
// two variants can be compared many times in one process:
//
//   build/bench/reco_bench_dlrm_step --benchmark_repetitions=15
//       --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
//   (one command line)
//
// Random interleaving runs the repetitions of all benchmarks in a shuffled order, so a slow
// minute of a shared VM hits every variant alike; quote the medians.
//   BM_Infer/frozen:0|1  one thread scores a batch in CtrModel::kInferBlockRows blocks, with
//                        the dense weights packed per block (0) or once per batch (1:
//                        nn::FrozenWeights, what CtrModel::infer does)
//   BM_InferParallel/threads:N/frozen:F  CtrModel::infer_parallel on N workers, the dense
//                        weights packed per call (F = 0) or once for all calls (1: a
//                        FrozenWeights id kept by the caller)
//   BM_InferStream/threads:N    as BM_InferParallel/frozen:1 but over 8 batches at a time with no
//                        barrier between them (items/s comparable)
//   BM_TrainStep/threads:N      Trainer::step (forward, backward, SGD) on N workers
// Items/s are examples per second.
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <span>
#include <vector>

#include "reco/core/context.h"
#include "reco/core/rng.h"
#include "reco/core/thread_pool.h"
#include "reco/models/ctr_model.h"
#include "reco/nn/blas.h"
#include "reco/nn/fused_linear.h"
#include "reco/train/trainer.h"

namespace {
using namespace reco;

constexpr size_t kBatch = 2048, kDense = 13, kTables = 26, kTableRows = 100000, kDim = 16, kPool = 16;

struct Setup {
  std::unique_ptr<models::CtrModel> model;
  std::vector<models::Batch> pool;
};

// One model and batch pool for the whole process (building the tables takes ~1 s).
Setup& setup() {
  static Setup s = [] {
    nn::use_single_threaded_blas();
    models::ModelSpec spec;
    spec.kind = models::ModelKind::kDlrm;
    spec.embedding_dim = kDim;
    spec.bottom = {512, 256, 64, 16};
    spec.top = {512, 256, 1};
    models::FeatureMap features;
    for (size_t j = 0; j < kDense; ++j) features.dense.push_back("dense_" + std::to_string(j));
    for (size_t t = 0; t < kTables; ++t)
      features.sparse.push_back({"cat_" + std::to_string(t), static_cast<uint32_t>(kTableRows), false});
    features.label = "label";
    Setup out;
    out.model = std::make_unique<models::CtrModel>(spec, features);
    out.model->init(42);
    Rng rng(42);
    out.pool.resize(kPool);
    for (auto& b : out.pool) {
      b.size = kBatch;
      b.dense.resize(kBatch, kDense);
      for (float& x : b.dense.span()) x = rng.uniform_float();
      b.sparse.resize(kTables);
      for (auto& f : b.sparse) {
        f.ids.resize(kBatch);
        for (auto& id : f.ids) id = static_cast<uint32_t>(rng.below(kTableRows));
      }
      b.labels.resize(kBatch);
      for (float& y : b.labels) y = rng.uniform() < 0.5 ? 1.0f : 0.0f;
    }
    return out;
  }();
  return s;
}

void BM_Infer(benchmark::State& state) {
  Setup& s = setup();
  const bool frozen = state.range(0) != 0;
  models::ModelWorkspace ws;
  std::vector<float> scores(kBatch);
  size_t round = 0;
  for (auto _ : state) {
    const models::Batch& b = s.pool[round++ % kPool];
    if (frozen) {
      s.model->infer(b, 0, kBatch, ws, scores);
    } else {
      for (size_t lo = 0; lo < kBatch; lo += models::CtrModel::kInferBlockRows) {
        const auto logits = s.model->forward(b, lo, lo + models::CtrModel::kInferBlockRows, ws, nullptr);
        benchmark::DoNotOptimize(logits.data());
      }
    }
    benchmark::DoNotOptimize(scores.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_Infer)->ArgName("frozen")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Forward(benchmark::State& state) {
  Setup& s = setup();
  models::ModelWorkspace ws;
  size_t round = 0;
  for (auto _ : state) benchmark::DoNotOptimize(s.model->forward(s.pool[round++ % kPool], 0, kBatch, ws, nullptr).data());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_Forward)->Unit(benchmark::kMillisecond)->UseRealTime();

// CtrModel::backward of one 2048-row batch (after one forward), on one thread: the dense
// gradients and every table's per-bag gradient, no optimizer.
void BM_Backward(benchmark::State& state) {
  Setup& s = setup();
  models::ModelWorkspace ws;
  s.model->prepare(ws);
  const models::Batch& b = s.pool[0];
  s.model->forward(b, 0, kBatch, ws, nullptr);
  std::vector<float> dlogits(kBatch);
  for (size_t i = 0; i < kBatch; ++i) dlogits[i] = (b.labels[i] - 0.5f) / kBatch;
  for (auto _ : state) {
    s.model->backward(b, 0, kBatch, dlogits, ws);
    benchmark::DoNotOptimize(ws.dfeatures.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
  state.counters["GFLOP/s"] = benchmark::Counter(4.0 * s.model->macs_per_example() * kBatch *
                                                     static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_Backward)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_InferParallel(benchmark::State& state) {
  Setup& s = setup();
  ThreadPool pool(static_cast<int>(state.range(0)));
  // frozen:1 — one nn::FrozenWeights id for all batches (what `reco bench train`, predict and
  // the server pass): weights packed once per worker; frozen:0 — packed once per call.
  const uint64_t frozen = state.range(1) ? nn::FrozenWeights::new_id() : 0;
  std::vector<models::ModelWorkspace> ws(pool.size());
  std::vector<float> scores(kBatch);
  size_t round = 0;
  for (auto _ : state) {
    s.model->infer_parallel(s.pool[round++ % kPool], pool, ws, scores, {}, frozen);
    benchmark::DoNotOptimize(scores.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_InferParallel)
    ->ArgNames({"threads", "frozen"})
    ->ArgsProduct({{1, 2}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The blocks of 8 consecutive batches taken from one counter in one pool region: no worker waits
// for the other at the end of each batch, as it does in BM_InferParallel. The gap between the
// two is what that per-batch barrier costs (stop 25: none measurable).
void BM_InferStream(benchmark::State& state) {
  Setup& s = setup();
  ThreadPool pool(static_cast<int>(state.range(0)));
  const uint64_t frozen = nn::FrozenWeights::new_id();
  std::vector<models::ModelWorkspace> ws(pool.size());
  constexpr size_t kRun = 8;
  std::vector<float> scores(kBatch * kRun);
  size_t round = 0;
  const size_t rows = models::CtrModel::kInferBlockRows, per = kBatch / rows;
  for (auto _ : state) {
    std::atomic<size_t> next{0};
    pool.run([&](int w) {
      nn::FrozenWeights fw(frozen);
      for (;;) {
        const size_t k = next.fetch_add(1, std::memory_order_relaxed);
        if (k >= per * kRun) return;
        const size_t bi = k / per, lo = (k % per) * rows;
        s.model->infer(s.pool[(round + bi) % kPool], lo, lo + rows, ws[w],
                       std::span<float>(scores).subspan(bi * kBatch + lo, rows));
      }
    });
    round += kRun;
    benchmark::DoNotOptimize(scores.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch * kRun));
}
BENCHMARK(BM_InferStream)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_TrainStep(benchmark::State& state) {
  Setup& s = setup();
  train::TrainOptions opts;
  opts.batch_size = kBatch;
  opts.optimizer.kind = optim::OptimizerKind::kSgd;
  opts.optimizer.schedule.base = 0.01;
  RunContext ctx;
  ctx.threads = static_cast<int>(state.range(0));
  ctx.quiet = true;
  train::Trainer trainer(*s.model, opts, ctx);
  size_t round = 0;
  for (auto _ : state) benchmark::DoNotOptimize(trainer.step(s.pool[round++ % kPool]));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_TrainStep)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
