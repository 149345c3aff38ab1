// bench/nn_kernels — Google Benchmark of the DLRM pieces on one thread, at the shapes of the
// issue-4 configuration (26 tables of 100,000 x 16, 13 dense features, bottom 512-256-64-16,
// top 367 -> 512-256-1) and CtrModel::infer's block of 256 rows (BM_DlrmLayerTrain: a training
// shard), so that a change to one kernel can be judged without the noise of a whole
// `reco bench train` run.
//
//   build/bench/reco_bench_nn_kernels [--benchmark_filter=Interaction]
//
// Items/s are rows (examples) per second of that piece alone.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reco/core/rng.h"
#include "reco/nn/activation.h"
#include "reco/nn/blas.h"
#include "reco/nn/embedding_bag.h"
#include "reco/nn/fused_linear.h"
#include "reco/nn/interaction.h"
#include "reco/nn/linear.h"
#include "reco/nn/mlp.h"
#include "reco/nn/tensor.h"
#include "reco/optim/optimizer.h"

namespace {
using namespace reco;
using namespace reco::nn;

constexpr size_t kRows = 256;     // CtrModel::kInferBlockRows
constexpr size_t kVectors = 27;   // bottom output + 26 embeddings
constexpr size_t kDim = 16;

Tensor random_tensor(size_t rows, size_t cols, uint64_t seed) {
  Tensor t(rows, cols);
  Rng rng(seed);
  for (float& x : t.span()) x = rng.uniform_float() - 0.5f;
  return t;
}

// Items = rows; GFLOP/s of an in x out layer's 2·in·out multiply-adds per row.
void set_layer_counters(benchmark::State& state, size_t in, size_t out, size_t rows) {
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(rows));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(in * out * rows) *
                                                     static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

// `count` tables of rows x kDim ("t0", "t1", ...), initialized from rng.
std::vector<EmbeddingBag> make_tables(size_t count, size_t rows, Rng& rng) {
  std::vector<EmbeddingBag> tables;
  tables.reserve(count);
  for (size_t t = 0; t < count; ++t) {
    std::string name = "t";  // (not "t" + to_string: GCC 12 -O3 warns -Wrestrict on that, falsely)
    name += std::to_string(t);
    tables.emplace_back(name, rows, kDim);
    tables.back().init(rng, 0.0f);
  }
  return tables;
}

void BM_InteractionForward(benchmark::State& state) {
  const Tensor features = random_tensor(kRows, kVectors * kDim, 1);
  Tensor out(kRows, interaction_output_size(InteractionKind::kDot, kVectors, kDim, false));
  for (auto _ : state) {
    interaction_forward(InteractionKind::kDot, features, kVectors, kDim, false, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}
BENCHMARK(BM_InteractionForward);

void BM_InteractionBackward(benchmark::State& state) {
  const Tensor features = random_tensor(kRows, kVectors * kDim, 1);
  const Tensor dout =
      random_tensor(kRows, interaction_output_size(InteractionKind::kDot, kVectors, kDim, false), 2);
  Tensor dfeatures(kRows, kVectors * kDim);
  for (auto _ : state) {
    interaction_backward(InteractionKind::kDot, features, kVectors, kDim, false, dout, dfeatures);
    benchmark::DoNotOptimize(dfeatures.data());
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}
BENCHMARK(BM_InteractionBackward);

// 26 tables of 100,000 rows: 166 MB, larger than the last-level cache share a core gets, with
// uniformly random ids as in the random data. pool: distinct 256-row batches cycled; 64
// touch 16k rows of each table (26 MB, mostly cache hits), 512 touch ~73 % of them (as `reco
// bench train` with its 64 batches of 2048 rows: each lookup a likely DRAM miss).
void BM_EmbeddingForward(benchmark::State& state) {
  constexpr size_t kTables = 26, kTableRows = 100000;
  const size_t pool = static_cast<size_t>(state.range(1));
  Rng rng(3);
  std::vector<EmbeddingBag> tables = make_tables(kTables, kTableRows, rng);
  std::vector<std::vector<uint32_t>> ids(pool * kTables, std::vector<uint32_t>(kRows));
  for (auto& v : ids)
    for (auto& id : v) id = static_cast<uint32_t>(rng.below(kTableRows));
  Tensor out(kRows, kTables * kDim);
  const bool together = state.range(0) != 0;
  std::vector<BagBatch> bags(kTables);
  size_t round = 0;
  for (auto _ : state) {
    const size_t p = round++ % pool;
    if (together) {
      for (size_t t = 0; t < kTables; ++t) bags[t] = BagBatch{ids[p * kTables + t], {}, {}};
      forward_tables(tables, bags, out);
    } else {
      for (size_t t = 0; t < kTables; ++t)
        tables[t].forward(BagBatch{ids[p * kTables + t], {}, {}}, out.view().cols_slice(t * kDim, kDim));
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}
// tables:0 = table by table (EmbeddingBag::forward), 1 = forward_tables (what CtrModel runs);
// pool: see above
BENCHMARK(BM_EmbeddingForward)->ArgNames({"tables", "pool"})->Args({0, 64})->Args({1, 64})->Args({1, 512});

// Plain SGD straight from the per-bag gradients (nn::apply_bag_gradients, what a DLRM training
// step runs for its tables) on 13 tables — one worker's half of 26 — over a 2048-row batch in two
// shards, the batch drawn from a pool of 64 (every table row touched: scattered misses).
void BM_ApplyBagGradients(benchmark::State& state) {
  constexpr size_t kTables = 13, kTableRows = 100000, kBatch = 2048, kPool = 64;
  Rng rng(9);
  std::vector<EmbeddingBag> tables = make_tables(kTables, kTableRows, rng);
  std::vector<std::vector<uint32_t>> ids(kPool * kTables, std::vector<uint32_t>(kBatch));
  for (auto& v : ids)
    for (auto& id : v) id = static_cast<uint32_t>(rng.below(kTableRows));
  const Tensor dout = random_tensor(kBatch, kDim, 10);
  const ConstMatrixView douts[2] = {dout.view().rows_slice(0, kBatch / 2), dout.view().rows_slice(kBatch / 2, kBatch / 2)};
  size_t round = 0;
  for (auto _ : state) {
    const size_t p = round++ % kPool;
    for (size_t t = 0; t < kTables; ++t) {
      const BagBatch all{ids[p * kTables + t], {}, {}};
      const BagBatch shards[2] = {all.slice(0, kBatch / 2), all.slice(kBatch / 2, kBatch)};
      apply_bag_gradients(shards, douts, Pooling::kSum, 1e-6f, tables[t].table());
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch * kTables);
}
BENCHMARK(BM_ApplyBagGradients);

// A row-sparse optimizer step on 13 tables (one worker's half of 26) from coalesced gradients of
// a 2048-row batch (Optimizer::update_rows, what training with Adagrad or LazyAdam runs for its
// tables), the rows drawn from a pool of 64 batches: every table row touched, scattered misses.
void BM_SparseRowUpdate(benchmark::State& state) {
  constexpr size_t kTables = 13, kTableRows = 100000, kBatch = 2048, kPool = 64;
  optim::OptimizerConfig config;
  config.kind = static_cast<optim::OptimizerKind>(state.range(0));
  config.schedule.base = 1e-6f;
  std::unique_ptr<optim::Optimizer> optimizer = optim::make_optimizer(config);
  Rng rng(11);
  std::vector<EmbeddingBag> tables = make_tables(kTables, kTableRows, rng);
  std::vector<size_t> slots;
  for (auto& table : tables) slots.push_back(optimizer->add(table.table()));
  std::vector<RowGrad> grads(kPool * kTables);
  for (RowGrad& g : grads) {
    for (size_t i = 0; i < kBatch; ++i) g.rows.push_back(static_cast<uint32_t>(rng.below(kTableRows)));
    std::sort(g.rows.begin(), g.rows.end());
    g.rows.erase(std::unique(g.rows.begin(), g.rows.end()), g.rows.end());
    g.values = random_tensor(g.rows.size(), kDim, rng.below(1000));
  }
  size_t round = 0, updated = 0;
  for (auto _ : state) {
    const size_t p = round++ % kPool;
    optimizer->begin_step();
    for (size_t t = 0; t < kTables; ++t) {
      optimizer->update_rows(slots[t], grads[p * kTables + t]);
      updated += grads[p * kTables + t].rows.size();
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(updated));
}
// kind: 1 Adagrad, 3 LazyAdam (optim::OptimizerKind)
BENCHMARK(BM_SparseRowUpdate)->ArgName("kind")->Arg(1)->Arg(3);

void mlp_forward(benchmark::State& state, size_t in, const std::vector<size_t>& sizes, Activation last) {
  Mlp mlp("m", in, sizes, Activation::kRelu, last);
  Rng rng(4);
  mlp.init(rng);
  const Tensor x = random_tensor(kRows, in, 5);
  MlpWorkspace ws;
  // frozen:1 packs the weights once (as CtrModel::infer under a frozen id); frozen:0 lets each
  // single-block call copy W itself (a training step's forward).
  std::optional<FrozenWeights> frozen;
  if (state.range(0)) frozen.emplace();
  for (auto _ : state) {
    mlp.forward(x, ws, nullptr);
    benchmark::DoNotOptimize(ws.output().data());
  }
  state.SetItemsProcessed(state.iterations() * kRows);
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * static_cast<double>(mlp.macs_per_example() * kRows) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}
// One DLRM layer (in -> out, ReLU but for the last) at the inference block size, weights packed
// once (a FrozenWeights scope, as CtrModel::infer under a frozen id): which layer shapes the
// matmul kernels run well.
void BM_DlrmLayer(benchmark::State& state) {
  const size_t in = static_cast<size_t>(state.range(0)), out = static_cast<size_t>(state.range(1));
  Linear layer("fc", in, out, out == 1 ? Activation::kNone : Activation::kRelu);
  Rng rng(6);
  layer.init(rng);
  const Tensor x = random_tensor(kRows, in, 7);
  FusedLinear fused;
  Tensor y;
  FrozenWeights frozen;
  for (auto _ : state) {
    layer.forward_fused(x, y, fused);
    benchmark::DoNotOptimize(y.data());
  }
  set_layer_counters(state, in, out, kRows);
}
BENCHMARK(BM_DlrmLayer)
    ->ArgNames({"in", "out"})
    ->Args({13, 512})
    ->Args({512, 256})
    ->Args({256, 64})
    ->Args({64, 16})
    ->Args({367, 512})
    ->Args({368, 512})
    ->Args({256, 1});

// One DLRM layer's three training GEMMs at a training shard (rows: 1024 = a 2048 batch over two
// workers) through the paths Linear::forward_fused / Linear::backward take: part 0 the forward
// (weights packed per call, as training changes them every step), 1 the weight gradient
// dW += dYᵀ·X, 2 the input gradient dX = dY·W. Which of a step's GEMMs run below the FMA peak.
void BM_DlrmLayerTrain(benchmark::State& state) {
  const size_t in = static_cast<size_t>(state.range(0)), out = static_cast<size_t>(state.range(1));
  const size_t rows = static_cast<size_t>(state.range(2));
  const int part = static_cast<int>(state.range(3));
  Linear layer("fc", in, out, Activation::kRelu);
  Rng rng(6);
  layer.init(rng);
  const Tensor x = random_tensor(rows, in, 7);
  const Tensor dy = random_tensor(rows, out, 8);
  Tensor grad_weight(out, in), y, dx(rows, in);
  FusedLinear fused;
  for (auto _ : state) {
    if (part == 0) {
      layer.forward_fused(x, y, fused);
      benchmark::DoNotOptimize(y.data());
    } else if (part == 1) {
      gemm(true, false, 1.0f, dy, x, 1.0f, grad_weight);
      benchmark::DoNotOptimize(grad_weight.data());
    } else {
      gemm(false, false, 1.0f, dy, layer.weight().value, 0.0f, dx);
      benchmark::DoNotOptimize(dx.data());
    }
  }
  set_layer_counters(state, in, out, rows);
}
BENCHMARK(BM_DlrmLayerTrain)
    ->ArgNames({"in", "out", "rows", "part"})
    ->ArgsProduct({{512}, {256}, {1024}, {0, 1, 2}})
    ->ArgsProduct({{367}, {512}, {1024}, {0, 1, 2}})
    ->ArgsProduct({{256}, {64}, {1024}, {0, 1, 2}});

void BM_BottomMlpForward(benchmark::State& state) { mlp_forward(state, 13, {512, 256, 64, 16}, Activation::kRelu); }
BENCHMARK(BM_BottomMlpForward)->ArgName("frozen")->Arg(0)->Arg(1);
void BM_TopMlpForward(benchmark::State& state) { mlp_forward(state, 367, {512, 256, 1}, Activation::kNone); }
BENCHMARK(BM_TopMlpForward)->ArgName("frozen")->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
