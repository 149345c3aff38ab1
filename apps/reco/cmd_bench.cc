// reco bench train — the DLRM paper's random-data benchmark (seed 004 §12): trains and
// scores a model on a pool of in-memory random batches (generated before the clock starts,
// as the PyTorch peer in bench/torch_dlrm.py does) and prints samples/s, step time, peak
// memory and the roofline (achieved GFLOP/s vs the sgemm GFLOP/s this machine reaches).
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "reco/core/thread_pool.h"
#include "reco/core/timer.h"
#include "reco/nn/blas.h"
#include "reco/nn/fused_linear.h"
#include "reco/train/trainer.h"

namespace reco::cli {

namespace {
struct BenchArgs {
  size_t dense = 13;
  size_t sparse = 26;
  size_t rows = 100000;
  size_t dim = 16;
  std::string bottom = "512-256-64-16";
  std::string top = "512-256-1";
  std::string kind = "dlrm";
  size_t batch = 2048;
  int steps = 100;
  int warmup = 10;
  int pool = 16;
  float lr = 0.01f;
  size_t lookups = 1;
  std::string precision = "fp32";
};

std::vector<size_t> parse_sizes(const std::string& text, const char* flag) {
  std::vector<size_t> out;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, '-')) {
    try {
      size_t pos = 0;
      const long v = std::stol(part, &pos);
      RECO_CHECK(pos == part.size() && v > 0) << "bad size";
      out.push_back(static_cast<size_t>(v));
    } catch (const std::exception&) {
      RECO_THROW(ErrorCode::kInvalidArgument) << flag << ": expected sizes like 512-256-1, got '" << text << "'";
    }
  }
  RECO_CHECK(!out.empty()) << flag << ": expected sizes like 512-256-1";
  return out;
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}
}  // namespace

Action setup_bench(CLI::App& sub, GlobalOptions& global) {
  sub.require_subcommand(1);
  CLI::App* train = sub.add_subcommand("train", "DLRM random-data training + inference throughput");
  auto a = std::make_shared<BenchArgs>();
  train->add_option("--dense", a->dense, "Dense features")->capture_default_str();
  train->add_option("--sparse", a->sparse, "Sparse features (one table each)")->capture_default_str();
  train->add_option("--rows", a->rows, "Rows per embedding table")->capture_default_str();
  train->add_option("--dim", a->dim, "Embedding dimension")->capture_default_str();
  train->add_option("--bottom", a->bottom, "Bottom MLP sizes")->capture_default_str();
  train->add_option("--top", a->top, "Top MLP sizes (ends with 1)")->capture_default_str();
  train->add_option("--model", a->kind, "dlrm | mlp | wide_deep | lr")->capture_default_str();
  train->add_option("--batch", a->batch, "Batch size")->capture_default_str();
  train->add_option("--steps", a->steps, "Timed training steps")->capture_default_str();
  train->add_option("--warmup", a->warmup, "Untimed warm-up steps")->capture_default_str();
  train->add_option("--pool", a->pool, "Distinct random batches, cycled")->capture_default_str();
  train->add_option("--lr", a->lr, "SGD learning rate")->capture_default_str();
  train->add_option("--lookups", a->lookups, "Ids per sparse feature (multi-hot when > 1)")->capture_default_str();
  train->add_option("--precision", a->precision, "Dense-layer GEMMs: fp32 | bf16 (oneDNN, fp32 accumulation)")
      ->capture_default_str();
  return [a, &global, train] {
    RECO_CHECK(train->parsed()) << "reco bench: give a benchmark (train)";
    RunContext ctx = global.context();
    models::ModelSpec spec;
    spec.kind = models::parse_model_kind(a->kind);
    spec.embedding_dim = a->dim;
    spec.bottom = parse_sizes(a->bottom, "--bottom");
    spec.top = parse_sizes(a->top, "--top");
    spec.precision = nn::parse_precision(a->precision);
    models::FeatureMap features;
    for (size_t j = 0; j < a->dense; ++j) features.dense.push_back(fmt::format("dense_{}", j));
    for (size_t t = 0; t < a->sparse; ++t)
      features.sparse.push_back({fmt::format("cat_{}", t), static_cast<uint32_t>(a->rows), a->lookups > 1});
    features.label = "label";
    models::CtrModel model(spec, features);
    model.init(ctx.seed);

    // The batch pool: generated before any timing.
    std::vector<models::Batch> pool(std::max(a->pool, 1));
    Rng rng(ctx.seed);
    for (auto& b : pool) {
      b.size = a->batch;
      b.dense.resize(a->batch, a->dense);
      for (float& x : b.dense.span()) x = rng.uniform_float();
      b.sparse.resize(a->sparse);
      for (auto& s : b.sparse) {
        s.ids.resize(a->batch * a->lookups);
        for (auto& id : s.ids) id = static_cast<uint32_t>(rng.below(a->rows));
        if (a->lookups > 1) {
          s.offsets.resize(a->batch + 1);
          for (size_t i = 0; i <= a->batch; ++i) s.offsets[i] = i * a->lookups;
        }
      }
      b.labels.resize(a->batch);
      for (float& y : b.labels) y = rng.uniform() < 0.5 ? 1.0f : 0.0f;
    }

    train::TrainOptions opts;
    opts.batch_size = a->batch;
    opts.optimizer.kind = optim::OptimizerKind::kSgd;
    opts.optimizer.schedule.base = a->lr;
    train::Trainer trainer(model, opts, ctx);
    for (int i = 0; i < a->warmup; ++i) trainer.step(pool[i % pool.size()]);
    std::vector<double> step_ms;
    double loss = 0.0;
    Stopwatch total;
    for (int i = 0; i < a->steps; ++i) {
      Stopwatch s;
      loss = trainer.step(pool[i % pool.size()]);
      step_ms.push_back(s.elapsed_ms());
    }
    const double train_seconds = total.elapsed_seconds();
    const double train_sps = a->steps * static_cast<double>(a->batch) / train_seconds;

    // Inference: forward only (CtrModel::infer_parallel, as reco predict and eval run it), the
    // batch's 256-row blocks shared by the same number of threads.
    ThreadPool workers(ctx.threads);
    std::vector<models::ModelWorkspace> ws(workers.size());
    std::vector<float> scores(a->batch * model.outputs());
    // The model does not change while it is timed: its dense weights are packed once per worker
    // (as a server packs a loaded snapshot), not once per batch.
    const uint64_t frozen = nn::FrozenWeights::new_id();
    auto infer = [&](const models::Batch& b) { model.infer_parallel(b, workers, ws, scores, {}, frozen); };
    for (int i = 0; i < std::max(a->warmup, 1); ++i) infer(pool[i % pool.size()]);
    std::vector<double> infer_ms;
    Stopwatch itotal;
    for (int i = 0; i < a->steps; ++i) {
      Stopwatch s;
      infer(pool[i % pool.size()]);
      infer_ms.push_back(s.elapsed_ms());
    }
    const double infer_sps = a->steps * static_cast<double>(a->batch) / itotal.elapsed_seconds();

    // Roofline: the model's dense FLOPs (forward 2*MACs, backward twice that) against sgemm
    // measured on every worker at once.
    const double macs = model.macs_per_example();
    const double train_gflops = train_sps * 6.0 * macs / 1e9;
    const double infer_gflops = infer_sps * 2.0 * macs / 1e9;
    std::vector<double> per_worker(workers.size());
    workers.run([&](int w) { per_worker[w] = nn::measure_sgemm_gflops(1024, 5); });
    double sgemm = 0.0;
    for (double g : per_worker) sgemm += g;

    nlohmann::json out = {{"model", a->kind},
                          {"batch", a->batch},
                          {"threads", ctx.threads},
                          {"precision", a->precision},
                          {"sgemm_library", nn::sgemm_library_name(nn::sgemm_library())},
                          {"dense", a->dense},
                          {"sparse", a->sparse},
                          {"rows", a->rows},
                          {"dim", a->dim},
                          {"bottom", a->bottom},
                          {"top", a->top},
                          {"steps", a->steps},
                          {"parameters", model.parameter_count()},
                          {"train_samples_per_s", train_sps},
                          {"train_step_ms_median", median(step_ms)},
                          {"infer_samples_per_s", infer_sps},
                          {"infer_batch_ms_median", median(infer_ms)},
                          {"last_loss", loss},
                          {"macs_per_example", macs},
                          {"train_gflops", train_gflops},
                          {"infer_gflops", infer_gflops},
                          {"sgemm_gflops", sgemm},
                          {"train_fraction_of_sgemm", train_gflops / sgemm},
                          {"peak_rss_mb", peak_rss_mb()}};
    if (global.json) {
      std::printf("%s\n", out.dump(2).c_str());
    } else {
      std::printf("train %.0f samples/s (step %.2f ms median), inference %.0f samples/s, %.1f GFLOP/s = %.0f%% of "
                  "sgemm (%s) %.1f GFLOP/s, peak RSS %.0f MB\n",
                  train_sps, median(step_ms), infer_sps, train_gflops, 100.0 * train_gflops / sgemm,
                  std::string(nn::sgemm_library_name(nn::sgemm_library())).c_str(), sgemm, peak_rss_mb());
    }
    return 0;
  };
}

}  // namespace reco::cli
