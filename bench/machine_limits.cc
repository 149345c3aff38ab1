// bench/machine_limits — the two ceilings a DLRM inference block runs into on one core, measured
// without any of reco's code, so docs/benchmarks.md can say how far from them the model runs:
//
//   build/bench/reco_bench_machine_limits --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
//   BM_FmaPeak/width:512|256   fused multiply-adds on 12 independent accumulators (more than the
//                              FMA latency times the two FMA ports): the core's fp32 FLOP/s peak,
//                              the ceiling of every GEMM (counter GFLOP/s, 2 FLOPs per lane)
//   BM_RowFetch/mode:M         one 256-row block's embedding lookups at the issue-4 shape: 26 x 256
//                              random 64-byte rows out of 26 x 100,000 x 16 floats (166 MB)
//     mode 0  the rows loaded and summed (what the lookups cost when the rows are not in cache)
//     mode 1  an FMA run of about 1 ms alone (a block's GEMM time, for scale)
//     mode 2  prefetch instructions for all the rows, then the same FMA run: if the fetches went
//             on behind the arithmetic this would take about as long as mode 1; it takes the sum
//             (a prefetch that misses holds a fill buffer, and the core stalls once they are all
//             taken), so a block's lookups cannot be hidden behind its matrix products
//     mode 3  the lookups as EmbeddingBag pools single ids: each row prefetched 32 lookups ahead
//             and copied to its place in a [256, 27 x 16] features matrix (the rows cycle through
//             512 blocks' ids, 3.4 M lookups as in bench/run_dlrm_bench.sh's pool of 64 batches)
// Items/s are rows fetched (BM_RowFetch modes 0, 2 and 3) or FMA instructions (BM_FmaPeak).
#include <benchmark/benchmark.h>

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "reco/core/rng.h"

namespace {

typedef float Lanes16 __attribute__((vector_size(64)));  // one zmm register
typedef float Lanes8 __attribute__((vector_size(32)));   // one ymm register

constexpr int kChains = 12;

// One call: iterations x kChains FMAs, each chain dependent on itself only. The multiplier is
// just below 1 and the addend tiny, so the values stay normal floats (no slow denormal path).
// (A template over the vector width lost the vector_size attribute in GCC 12.)
#define RECO_FMA_RUN(Lanes)                                                              \
  Lanes acc[kChains];                                                                    \
  for (int c = 0; c < kChains; ++c) acc[c] = Lanes{} + (1.0f + static_cast<float>(c) * 1e-7f); \
  const Lanes mul = Lanes{} + 0.9999999f;                                                \
  const Lanes add = Lanes{} + 1e-8f;                                                     \
  for (int64_t i = 0; i < iterations; ++i) {                                             \
    _Pragma("GCC unroll 12") for (int c = 0; c < kChains; ++c) acc[c] = acc[c] * mul + add; \
  }                                                                                      \
  float sum = 0.0f;                                                                      \
  for (int c = 0; c < kChains; ++c)                                                      \
    for (size_t l = 0; l < sizeof(Lanes) / sizeof(float); ++l) sum += acc[c][l];         \
  return sum;

__attribute__((target("avx512f"), noinline)) float fma_run_512(int64_t iterations) { RECO_FMA_RUN(Lanes16) }
__attribute__((target("avx2,fma"), noinline)) float fma_run_256(int64_t iterations) { RECO_FMA_RUN(Lanes8) }
#undef RECO_FMA_RUN

void BM_FmaPeak(benchmark::State& state) {
  const int width = static_cast<int>(state.range(0));
  if (width == 512 ? !__builtin_cpu_supports("avx512f") : !__builtin_cpu_supports("fma")) {
    state.SkipWithError("this CPU lacks the instructions");
    return;
  }
  constexpr int64_t kIterations = 1 << 20;
  for (auto _ : state) {
    int64_t iterations = kIterations;
    benchmark::DoNotOptimize(iterations);  // not a constant: the call cannot be folded or hoisted
    benchmark::DoNotOptimize(width == 512 ? fma_run_512(iterations) : fma_run_256(iterations));
  }
  const double fmas = static_cast<double>(state.iterations()) * kIterations * kChains;
  state.SetItemsProcessed(static_cast<int64_t>(fmas));
  state.counters["GFLOP/s"] =
      benchmark::Counter(fmas * 2.0 * (width / 32), benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_FmaPeak)->ArgName("width")->Arg(512)->Arg(256)->UseRealTime();

// The issue-4 tables as one buffer on transparent huge pages (as reco's tables are), and the
// row ids of many blocks, so consecutive iterations do not re-fetch the same rows.
struct Rows {
  static constexpr size_t kRowBytes = 64, kTableRows = 100000, kTables = 26, kBlockRows = 256;
  static constexpr size_t kLookups = kTables * kBlockRows, kBlocks = 512;
  size_t bytes = kTables * kTableRows * kRowBytes;
  std::unique_ptr<char, decltype(&std::free)> buffer{nullptr, &std::free};
  std::vector<uint32_t> ids;  // row index into the whole buffer, kBlocks x kLookups
  Rows() {
    constexpr size_t kHugePage = size_t{1} << 21;
    bytes = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    buffer.reset(static_cast<char*>(std::aligned_alloc(kHugePage, bytes)));
    madvise(buffer.get(), bytes, MADV_HUGEPAGE);
    std::memset(buffer.get(), 1, bytes);
    reco::Rng rng(7);
    ids.resize(kBlocks * kLookups);
    for (size_t i = 0; i < ids.size(); ++i) {
      const size_t table = (i % kLookups) / kBlockRows;  // table by table, as forward_tables visits them
      ids[i] = static_cast<uint32_t>(table * kTableRows + rng.below(kTableRows));
    }
  }
  const char* row(size_t block, size_t k) const {
    return buffer.get() + static_cast<size_t>(ids[block * kLookups + k]) * kRowBytes;
  }
};

Rows& rows() {
  static Rows r;
  return r;
}

void BM_RowFetch(benchmark::State& state) {
  const int mode = static_cast<int>(state.range(0));
  if (!__builtin_cpu_supports("avx512f")) {
    state.SkipWithError("this CPU lacks AVX-512");
    return;
  }
  Rows& r = rows();
  constexpr int64_t kComputeIterations = 440000;  // ~1 ms of FMAs at ~170 GFLOP/s
  size_t block = 0;
  std::vector<float> out(Rows::kBlockRows * (Rows::kTables + 1) * 16);
  for (auto _ : state) {
    block = (block + 1) % Rows::kBlocks;
    if (mode == 0) {  // one float of each row: the loads only
      float sum = 0.0f;
      for (size_t k = 0; k < Rows::kLookups; ++k) sum += *reinterpret_cast<const float*>(r.row(block, k));
      benchmark::DoNotOptimize(sum);
    } else if (mode == 3) {  // EmbeddingBag's single-id lookup: prefetch 32 ahead, copy the row out
      for (size_t k = 0; k < Rows::kLookups; ++k) {
        if (k + 32 < Rows::kLookups) __builtin_prefetch(r.row(block, k + 32));
        std::memcpy(out.data() + (k % Rows::kBlockRows) * (Rows::kTables + 1) * 16 + (k / Rows::kBlockRows + 1) * 16,
                    r.row(block, k), Rows::kRowBytes);
      }
      benchmark::DoNotOptimize(out.data());
    } else {
      if (mode == 2)
        for (size_t k = 0; k < Rows::kLookups; ++k) __builtin_prefetch(r.row(block, k));
      int64_t iterations = kComputeIterations;
      benchmark::DoNotOptimize(iterations);
      benchmark::DoNotOptimize(fma_run_512(iterations));
    }
  }
  if (mode != 1) state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * Rows::kLookups));
}
BENCHMARK(BM_RowFetch)->ArgName("mode")->Arg(0)->Arg(1)->Arg(2)->Arg(3)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
