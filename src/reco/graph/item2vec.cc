#include "reco/graph/item2vec.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <unordered_map>

#include "reco/core/error.h"
#include "reco/core/parallel_for.h"
#include "reco/core/progress.h"
#include "reco/core/rng.h"
#include "reco/core/timer.h"
#include "reco/graph/alias_table.h"
#include "reco/graph/sgns_math.h"

namespace reco::graph {

nlohmann::json Item2VecOptions::to_json() const {
  return {{"dim", dim},           {"window", window}, {"dynamic_window", dynamic_window},
          {"negatives", negatives}, {"epochs", epochs}, {"min_count", min_count},
          {"subsample", subsample}, {"lr", lr}};
}

nlohmann::json Item2VecReport::to_json() const {
  return {{"sequences", sequences},         {"tokens", tokens},
          {"items", items},                 {"items_dropped", items_dropped},
          {"tokens_dropped", tokens_dropped}, {"pairs", pairs},
          {"seconds", seconds},             {"pairs_per_second", pairs_per_second},
          {"loss_per_epoch", loss_per_epoch}};
}

namespace {

// Vocabulary: dense index per kept item, in order of first appearance (deterministic).
struct Vocab {
  std::vector<uint64_t> ids;
  std::vector<uint64_t> counts;
  std::vector<uint32_t> tokens;   // the sequences re-encoded, dropped items removed
  std::vector<size_t> offsets{0};
};

Vocab build_vocab(const ItemSequences& seq, uint32_t min_count, Item2VecReport& rep) {
  std::unordered_map<uint64_t, uint32_t> index;
  std::vector<uint64_t> ids, counts;
  for (uint64_t item : seq.items) {
    auto [it, fresh] = index.try_emplace(item, static_cast<uint32_t>(ids.size()));
    if (fresh) {
      ids.push_back(item);
      counts.push_back(0);
    }
    ++counts[it->second];
  }
  // Keep items with count >= min_count; remap to dense kept indices.
  std::vector<uint32_t> remap(ids.size(), kNoRow);
  Vocab v;
  for (size_t k = 0; k < ids.size(); ++k) {
    if (counts[k] < min_count) {
      ++rep.items_dropped;
      rep.tokens_dropped += counts[k];
      continue;
    }
    remap[k] = static_cast<uint32_t>(v.ids.size());
    v.ids.push_back(ids[k]);
    v.counts.push_back(counts[k]);
  }
  v.tokens.reserve(seq.items.size() - rep.tokens_dropped);
  for (size_t s = 0; s < seq.count(); ++s) {
    for (size_t p = seq.offsets[s]; p < seq.offsets[s + 1]; ++p) {
      const uint32_t r = remap[index.at(seq.items[p])];
      if (r != kNoRow) v.tokens.push_back(r);
    }
    if (v.tokens.size() - v.offsets.back() >= 2) v.offsets.push_back(v.tokens.size());
    else v.tokens.resize(v.offsets.back());  // a sequence of < 2 items has no pairs
  }
  return v;
}

}  // namespace

Embeddings train_item2vec(const ItemSequences& sequences, const Item2VecOptions& o, const RunContext& ctx,
                          Item2VecReport* report) {
  RECO_CHECK(o.dim > 0 && o.window > 0 && o.epochs > 0) << "item2vec: dim, window and epochs must be > 0";
  RECO_CHECK(o.lr > 0.0f) << "item2vec: lr must be > 0, got " << o.lr;
  RECO_CHECK(o.subsample >= 0.0) << "item2vec: subsample must be >= 0, got " << o.subsample;
  Stopwatch clock;
  Item2VecReport rep;
  rep.sequences = sequences.count();
  rep.tokens = sequences.items.size();
  const Vocab v = build_vocab(sequences, o.min_count, rep);
  rep.items = v.ids.size();
  RECO_CHECK(!v.ids.empty()) << "item2vec: no item has min_count = " << o.min_count << " occurrences";
  const size_t n = v.ids.size();
  const uint32_t dim = o.dim;
  const size_t kept_tokens = v.tokens.size();

  // Keep probability per item (subsampling of frequent items).
  std::vector<float> keep(n, 1.0f);
  if (o.subsample > 0.0) {
    double total = 0.0;
    for (uint64_t c : v.counts) total += double(c);
    for (size_t k = 0; k < n; ++k) {
      const double f = double(v.counts[k]) / total;
      keep[k] = static_cast<float>(std::min(1.0, (std::sqrt(f / o.subsample) + 1.0) * o.subsample / f));
    }
  }
  std::vector<double> unigram(n);
  for (size_t k = 0; k < n; ++k) unigram[k] = std::pow(double(v.counts[k]), 0.75);
  const AliasTable negatives_table(unigram);

  // Input vectors U(-0.5, 0.5)/dim, output vectors 0 (word2vec's initialisation).
  std::vector<float> in(n * dim), out(n * dim, 0.0f);
  {
    Rng rng(derive_seed(ctx.seed, 0x1273));
    for (float& x : in) x = (rng.uniform_float() - 0.5f) / float(dim);
  }

  const int threads = std::max(1, ctx.threads);
  const uint64_t total_work = uint64_t(o.epochs) * kept_tokens;
  std::atomic<uint64_t> done{0};
  std::atomic<uint64_t> pairs{0};
  Progress progress("item2vec", total_work, ctx);
  const size_t nseq = v.offsets.size() - 1;
  for (uint32_t epoch = 0; epoch < o.epochs; ++epoch) {
    std::vector<double> loss(threads, 0.0);
    std::vector<uint64_t> groups(threads, 0);
    parallel_for(threads, 0, nseq, [&](size_t b, size_t e, int worker) {
      Rng rng(derive_seed(ctx.seed, (uint64_t(epoch) << 20) + uint64_t(worker) + 1));
      std::vector<float> scratch(dim);
      std::vector<float*> targets(o.negatives + 1);
      std::vector<uint32_t> kept;
      uint64_t local_done = 0, seen = done.load(std::memory_order_relaxed);
      float lr = o.lr;
      double local_loss = 0.0;
      uint64_t local_groups = 0;
      for (size_t s = b; s < e; ++s) {
        kept.clear();
        for (size_t p = v.offsets[s]; p < v.offsets[s + 1]; ++p) {
          const uint32_t t = v.tokens[p];
          if (keep[t] >= 1.0f || rng.uniform_float() < keep[t]) kept.push_back(t);
        }
        const size_t len = kept.size();
        for (size_t c = 0; c < len; ++c) {
          const uint32_t b_win = o.dynamic_window ? 1 + static_cast<uint32_t>(rng.below(o.window)) : o.window;
          const size_t lo = c >= b_win ? c - b_win : 0, hi = std::min(len, c + b_win + 1);
          const uint32_t center = kept[c];
          for (size_t x = lo; x < hi; ++x) {
            if (x == c || kept[x] == center) continue;
            // Context item's input vector predicts the center (word2vec's skip-gram layout).
            targets.resize(1);
            targets[0] = &out[size_t(center) * dim];
            for (uint32_t k = 0; k < o.negatives; ++k) {
              const uint32_t neg = negatives_table.sample(rng);
              if (neg == center) continue;
              targets.push_back(&out[size_t(neg) * dim]);
            }
            local_loss += sgns_step(&in[size_t(kept[x]) * dim], targets, dim, lr, scratch.data());
            ++local_groups;
          }
        }
        // Linear decay on the global count (other threads' work is seen at each flush).
        local_done += v.offsets[s + 1] - v.offsets[s];
        lr = o.lr * std::max(1e-4f, 1.0f - float(double(seen + local_done) / double(total_work)));
        if (local_done >= 10000 || s + 1 == e) {
          seen = done.fetch_add(local_done, std::memory_order_relaxed) + local_done;
          progress.add(local_done);
          local_done = 0;
        }
      }
      loss[worker] = local_loss;
      groups[worker] = local_groups;
    });
    double l = 0.0;
    uint64_t g = 0;
    for (int w = 0; w < threads; ++w) {
      l += loss[w];
      g += groups[w];
    }
    pairs += g;
    rep.loss_per_epoch.push_back(g ? l / double(g) : 0.0);
    progress.set_extra("loss=" + std::to_string(rep.loss_per_epoch.back()));
  }
  progress.finish();
  rep.pairs = pairs.load();
  rep.seconds = clock.elapsed_seconds();
  rep.pairs_per_second = rep.seconds > 0 ? double(rep.pairs) / rep.seconds : 0.0;
  nlohmann::json meta = {{"method", "item2vec"}, {"options", o.to_json()}, {"training", rep.to_json()},
                         {"seed", ctx.seed}, {"threads", threads}};
  if (report) *report = rep;
  return Embeddings(dim, EmbeddingMetric::kCosine, v.ids, std::move(in), {}, {}, std::move(meta));
}

}  // namespace reco::graph
