// `reco candidates build ann --embeddings E.embed --out E.ann [--M 16] [--ef-construction 200]
//  [--ef-search 64] [--check-queries 1000]` (docs/ann.md): builds an HNSW index over the
// item table of an embeddings file (multithreaded with --threads > 1; deterministic with
// --threads 1), saves it, then checks it against the exact index on a seeded sample of
// item vectors used as queries (each query's own item excluded): recall@10 and queries/s
// of both on one thread.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "candidates_commands.h"
#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "reco/core/timer.h"
#include "reco/retrieval/exact_index.h"
#include "reco/retrieval/hnsw_index.h"

namespace reco::cli {

namespace {

constexpr size_t kCheckK = 10;
constexpr uint64_t kCheckSeedStream = 0xa22;  // derive_seed stream of the query sample

/// The k best rows other than `self` from a k + 1 search.
std::vector<Neighbor> without_self(std::vector<Neighbor> nb, uint32_t self, size_t k) {
  std::erase_if(nb, [self](const Neighbor& n) { return n.row == self; });
  if (nb.size() > k) nb.resize(k);
  return nb;
}

struct CheckReport {
  size_t queries = 0;
  double recall = 0, hnsw_qps = 0, exact_batch_qps = 0, exact_single_qps = 0;
};

CheckReport check_against_exact(const Embeddings& e, const HnswIndex& hnsw, size_t n_queries, uint64_t seed) {
  CheckReport rep;
  const size_t n = e.items().size();
  rep.queries = std::min(n_queries, n);
  if (rep.queries == 0) return rep;
  const uint32_t d = e.dim();
  Rng rng(derive_seed(seed, kCheckSeedStream));
  std::vector<uint32_t> rows(rep.queries);
  std::vector<float> qs(rep.queries * d);
  for (size_t q = 0; q < rep.queries; ++q) {
    rows[q] = static_cast<uint32_t>(rng.below(n));
    const auto v = e.items().row(rows[q]);
    std::copy(v.begin(), v.end(), qs.begin() + q * d);
  }
  const ExactIndex exact = ExactIndex::from_items(e);
  const RunContext one{.threads = 1};
  Stopwatch sw;
  auto truth = exact.search_batch(qs, kCheckK + 1, one);
  rep.exact_batch_qps = double(rep.queries) / sw.elapsed_seconds();
  sw.restart();
  for (size_t q = 0; q < rep.queries; ++q) (void)exact.search({qs.data() + q * d, d}, kCheckK + 1);
  rep.exact_single_qps = double(rep.queries) / sw.elapsed_seconds();
  std::vector<std::vector<Neighbor>> got(rep.queries);
  sw.restart();
  for (size_t q = 0; q < rep.queries; ++q) got[q] = hnsw.search({qs.data() + q * d, d}, kCheckK + 1);
  rep.hnsw_qps = double(rep.queries) / sw.elapsed_seconds();
  for (size_t q = 0; q < rep.queries; ++q) {
    truth[q] = without_self(std::move(truth[q]), rows[q], kCheckK);
    got[q] = without_self(std::move(got[q]), rows[q], kCheckK);
  }
  rep.recall = neighbor_recall(got, truth);
  return rep;
}

}  // namespace

Action setup_candidates_build_ann(CLI::App* app, GlobalOptions& global) {
  struct Opts {
    std::string embeddings, out;
    HnswOptions opt;
    size_t check_queries = 1000;
  };
  auto o = std::make_shared<Opts>();
  app->add_option("--embeddings", o->embeddings, "Embeddings file (kind 'embed'): its item table is indexed")
      ->required();
  app->add_option("-o,--out", o->out, "Output index file (kind 'ann')")->required();
  app->add_option("--M", o->opt.M, "HNSW links per element per level (2M at level 0)")->capture_default_str();
  app->add_option("--ef-construction", o->opt.ef_construction, "Candidate list size while inserting")
      ->capture_default_str();
  app->add_option("--ef-search", o->opt.ef_search, "Candidate list size while searching (stored in the index)")
      ->capture_default_str();
  app->add_option("--check-queries", o->check_queries,
                  "Item vectors (seeded sample) queried against the exact index for recall@10 (0 = no check)")
      ->capture_default_str();
  return [o, &global] {
    const RunContext ctx = global.context();
    o->opt.seed = ctx.seed;
    const Embeddings e = Embeddings::load(o->embeddings);
    Stopwatch sw;
    const auto index = HnswIndex::build(e, o->opt, ctx);
    const double build_s = sw.elapsed_seconds();
    index->save(o->out);
    const CheckReport c = check_against_exact(e, *index, o->check_queries, ctx.seed);
    if (global.json) {
      nlohmann::json j = {{"out", o->out},
                          {"items", e.items().size()},
                          {"dim", e.dim()},
                          {"metric", metric_name(e.metric())},
                          {"M", o->opt.M},
                          {"ef_construction", o->opt.ef_construction},
                          {"ef_search", o->opt.ef_search},
                          {"threads", ctx.threads},
                          {"build_seconds", build_s}};
      if (c.queries)
        j["check"] = {{"queries", c.queries},
                      {"k", kCheckK},
                      {"recall_at_10", c.recall},
                      {"hnsw_queries_per_s", c.hnsw_qps},
                      {"exact_queries_per_s", c.exact_batch_qps},
                      {"exact_single_queries_per_s", c.exact_single_qps}};
      std::printf("%s\n", j.dump().c_str());
    } else if (!global.quiet) {
      std::printf("ann index -> %s\n", o->out.c_str());
      std::printf("  items %zu  dim %u  metric %s  M %zu  ef_construction %zu  ef_search %zu\n", e.items().size(),
                  e.dim(), metric_name(e.metric()), o->opt.M, o->opt.ef_construction, o->opt.ef_search);
      std::printf("  build %.3f s (threads %d)\n", build_s, ctx.threads);
      if (c.queries) {
        std::printf("  check: %zu item queries (own item excluded), one thread\n", c.queries);
        std::printf("    recall@10 vs exact %.4f\n", c.recall);
        std::printf("    HNSW  %.0f queries/s\n", c.hnsw_qps);
        std::printf("    exact %.0f queries/s (query blocks), %.0f queries/s (one by one)\n", c.exact_batch_qps,
                    c.exact_single_qps);
      }
    }
    return 0;
  };
}

}  // namespace reco::cli
