#include "reco/graph/hoprec.h"

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

nlohmann::json HopRecOptions::to_json() const {
  return {{"dim", dim},       {"order", order},       {"negatives", negatives}, {"samples", samples},
          {"epochs", epochs}, {"lr", lr},             {"margin", margin},       {"l2_item", l2_item},
          {"l2_user", l2_user}, {"confidence", confidence}, {"source_power", source_power},
          {"step_power", step_power}};
}

nlohmann::json HopRecReport::to_json() const {
  return {{"users", users},
          {"items", items},
          {"edges", edges},
          {"samples", samples},
          {"terms", terms},
          {"active_terms", active_terms},
          {"seconds", seconds},
          {"samples_per_second", samples_per_second},
          {"terms_per_second", terms_per_second},
          {"loss_per_epoch", loss_per_epoch}};
}

namespace {

// One direction of the bipartite graph in CSR: node -> neighbours, with cumulative edge
// weights for weight-proportional steps (unused when every weight is equal).
struct Adjacency {
  std::vector<size_t> offsets;
  std::vector<uint32_t> nbr;
  std::vector<double> cum;  // per edge: running weight sum within its node
  bool weighted = false;

  uint32_t step(uint32_t node, Rng& rng) const {
    const size_t b = offsets[node], e = offsets[node + 1];
    if (!weighted) return nbr[b + rng.below(e - b)];
    const double r = rng.uniform() * cum[e - 1];
    const size_t k = std::upper_bound(cum.begin() + b, cum.begin() + e, r) - cum.begin();
    return nbr[std::min(k, e - 1)];
  }
};

Adjacency build_adjacency(size_t nodes, const std::vector<uint32_t>& from, const std::vector<uint32_t>& to,
                          const std::vector<float>& w, bool weighted) {
  Adjacency a;
  a.weighted = weighted;
  a.offsets.assign(nodes + 1, 0);
  for (uint32_t f : from) ++a.offsets[f + 1];
  for (size_t k = 0; k < nodes; ++k) a.offsets[k + 1] += a.offsets[k];
  std::vector<size_t> fill(a.offsets.begin(), a.offsets.end() - 1);
  a.nbr.resize(from.size());
  std::vector<float> ew(from.size());
  for (size_t r = 0; r < from.size(); ++r) {
    const size_t slot = fill[from[r]]++;
    a.nbr[slot] = to[r];
    ew[slot] = w[r];
  }
  if (weighted) {
    a.cum.resize(from.size());
    for (size_t k = 0; k < nodes; ++k) {
      double s = 0.0;
      for (size_t e = a.offsets[k]; e < a.offsets[k + 1]; ++e) a.cum[e] = (s += ew[e]);
    }
  }
  return a;
}

}  // namespace

Embeddings train_hoprec(const Interactions& data, const HopRecOptions& o, const RunContext& ctx,
                        HopRecReport* report) {
  RECO_CHECK(o.dim > 0 && o.order > 0 && o.negatives > 0) << "hoprec: dim, order and negatives must be > 0";
  RECO_CHECK(o.lr > 0.0f) << "hoprec: lr must be > 0, got " << o.lr;
  RECO_CHECK(o.confidence == "inverse" || o.confidence == "uniform")
      << "hoprec: confidence must be 'inverse' or 'uniform', got '" << o.confidence << "'";
  RECO_CHECK(o.source_power >= 0.0f && o.step_power >= 0.0f)
      << "hoprec: source_power and step_power must be >= 0, got " << o.source_power << " and " << o.step_power;
  RECO_CHECK(data.size() > 0) << "hoprec: no interactions";
  Stopwatch clock;
  HopRecReport rep;

  // Dense ids in order of first appearance; rows with weight <= 0 are not edges.
  std::unordered_map<uint64_t, uint32_t> uidx, iidx;
  std::vector<uint64_t> user_ids, item_ids;
  std::vector<uint32_t> eu, ei;
  std::vector<float> ew;
  bool weighted = false;
  for (size_t r = 0; r < data.size(); ++r) {
    if (!(data.weight[r] > 0.0f)) continue;
    auto [u, fu] = uidx.try_emplace(data.user[r], static_cast<uint32_t>(user_ids.size()));
    if (fu) user_ids.push_back(data.user[r]);
    auto [i, fi] = iidx.try_emplace(data.item[r], static_cast<uint32_t>(item_ids.size()));
    if (fi) item_ids.push_back(data.item[r]);
    eu.push_back(u->second);
    ei.push_back(i->second);
    ew.push_back(data.weight[r]);
    weighted = weighted || data.weight[r] != ew.front();
  }
  RECO_CHECK(!eu.empty()) << "hoprec: no interaction has a positive weight";
  const size_t nu = user_ids.size(), ni = item_ids.size();
  rep.users = nu;
  rep.items = ni;
  rep.edges = eu.size();
  // Step weights w^step_power and start weights degree^source_power: SMORe raises every
  // sampling distribution to 0.75 (as word2vec does its unigram), which draws light users
  // more often than a degree-proportional start would.
  std::vector<float> step_w(ew.size());
  for (size_t r = 0; r < ew.size(); ++r) step_w[r] = std::pow(ew[r], o.step_power);
  const Adjacency u2i = build_adjacency(nu, eu, ei, step_w, weighted && o.step_power != 0.0f);
  const Adjacency i2u = build_adjacency(ni, ei, eu, step_w, weighted && o.step_power != 0.0f);
  std::vector<double> degree(nu, 0.0);
  for (size_t r = 0; r < eu.size(); ++r) degree[eu[r]] += ew[r];
  for (double& d : degree) d = std::pow(d, double(o.source_power));
  const AliasTable user_table(degree);

  const uint32_t dim = o.dim;
  std::vector<float> uv(nu * dim), iv(ni * dim);
  {
    Rng rng(derive_seed(ctx.seed, 0x4090));
    for (float& x : uv) x = (rng.uniform_float() - 0.5f) / float(dim);
    for (float& x : iv) x = (rng.uniform_float() - 0.5f) / float(dim);
  }

  const uint64_t total = o.samples > 0 ? o.samples : uint64_t(o.epochs) * eu.size();
  const uint64_t period = o.samples > 0 ? std::max<uint64_t>(1, total / std::max<uint32_t>(1, o.epochs)) : eu.size();
  const int threads = std::max(1, ctx.threads);
  std::vector<HopTerm> terms(o.order + 1);
  for (uint32_t k = 1; k <= o.order; ++k) {
    terms[k].confidence = o.confidence == "inverse" ? 1.0f / float(k) : 1.0f;
    terms[k].margin = o.margin / float(k);
    terms[k].l2_user = o.l2_user;
    terms[k].l2_item = o.l2_item;
  }
  std::atomic<uint64_t> done{0}, active{0};
  Progress progress("hoprec", total, ctx);
  const uint64_t blocks = (total + period - 1) / period;
  for (uint64_t block = 0; block < blocks; ++block) {
    const uint64_t b0 = block * period, b1 = std::min(total, b0 + period);
    std::vector<double> loss(threads, 0.0);
    parallel_for(threads, b0, b1, [&](size_t b, size_t e, int worker) {
      Rng rng(derive_seed(ctx.seed, (block << 20) + uint64_t(worker) + 1));
      std::vector<float> du(dim);
      uint64_t local = 0, seen = done.load(std::memory_order_relaxed), local_active = 0;
      double local_loss = 0.0;
      float lr = o.lr;
      for (size_t s = b; s < e; ++s) {
        const uint32_t u = user_table.sample(rng);
        float* uvec = &uv[size_t(u) * dim];
        uint32_t item = u2i.step(u, rng);
        for (uint32_t k = 1; k <= o.order; ++k) {
          if (k > 1) item = u2i.step(i2u.step(item, rng), rng);
          std::fill(du.begin(), du.end(), 0.0f);
          uint32_t open = 0;
          for (uint32_t n = 0; n < o.negatives; ++n) {
            const auto j = static_cast<uint32_t>(rng.below(ni));
            if (j == item) continue;
            open += hop_step_items(uvec, &iv[size_t(item) * dim], &iv[size_t(j) * dim], dim, terms[k], lr,
                                   du.data(), local_loss);
          }
          if (open > 0) {
            const float scale = lr / float(open);
            for (uint32_t d = 0; d < dim; ++d) uvec[d] -= scale * du[d];
            local_active += open;
          }
        }
        ++local;
        lr = o.lr * std::max(1e-4f, 1.0f - float(double(seen + local) / double(total)));
        if (local >= 4096 || s + 1 == e) {
          seen = done.fetch_add(local, std::memory_order_relaxed) + local;
          progress.add(local);
          local = 0;
        }
      }
      active.fetch_add(local_active, std::memory_order_relaxed);
      loss[worker] = local_loss;
    }, 1024);
    double l = 0.0;
    for (double x : loss) l += x;
    rep.loss_per_epoch.push_back(l / (double(b1 - b0) * o.order * o.negatives));
    progress.set_extra("loss=" + std::to_string(rep.loss_per_epoch.back()));
  }
  progress.finish();
  rep.samples = total;
  rep.terms = total * o.order * o.negatives;
  rep.active_terms = active.load();
  rep.seconds = clock.elapsed_seconds();
  rep.samples_per_second = rep.seconds > 0 ? double(total) / rep.seconds : 0.0;
  rep.terms_per_second = rep.seconds > 0 ? double(rep.terms) / rep.seconds : 0.0;
  nlohmann::json meta = {{"method", "hoprec"}, {"options", o.to_json()}, {"training", rep.to_json()},
                         {"seed", ctx.seed}, {"threads", threads}};
  if (report) *report = rep;
  return Embeddings(dim, EmbeddingMetric::kDot, std::move(item_ids), std::move(iv), std::move(user_ids),
                    std::move(uv), std::move(meta));
}

}  // namespace reco::graph
