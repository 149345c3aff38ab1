// ANN bench (issue 7 bar: recall@10 >= 0.95 against the exact index, queries/s for both).
// Data: synthetic clustered vectors (seeded), the item table of an embeddings file, or text
// vectors ("id v1 .. vd" per line, e.g. from svd_item_vectors.py; compared by --metric).
// Queries: fresh points from the same clusters (synthetic) or item vectors sampled with a
// seed (file), each with its own row dropped from the results. For each thread count and each ef_search:
// recall@10 of HNSW vs ExactIndex and queries/s of both, median of --runs runs.
//
//   reco_bench_ann [--n 100000] [--dim 64] [--clusters 1000] [--sigma 0.5] [--metric cosine]
//                  [--embeddings E.embed | --vectors V.txt] [--queries 2000] [--M 16] [--ef-construction 200]
//                  [--ef 16,32,64,128,256] [--threads 1,2] [--runs 3] [--seed 42]
// Output: one JSON object on stdout.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>
#include <string>

#include "reco/core/rng.h"
#include "reco/core/timer.h"
#include "reco/retrieval/exact_index.h"
#include "reco/retrieval/hnsw_index.h"

using namespace reco;

namespace {

std::vector<size_t> parse_list(const char* s) {
  std::vector<size_t> out;
  for (const char* p = s; *p;) {
    out.push_back(std::strtoull(p, const_cast<char**>(&p), 10));
    if (*p == ',') ++p;
  }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// "id v1 .. vd" per line (ids ignored: rows are positions); sets dim from the first line.
std::vector<float> read_text_vectors(const std::string& path, size_t& dim) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    std::exit(2);
  }
  std::vector<float> x;
  std::string line;
  dim = 0;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    uint64_t id;
    ls >> id;
    size_t d = 0;
    for (float v; ls >> v; ++d) x.push_back(v);
    if (dim == 0) dim = d;
    if (d != dim) {
      std::fprintf(stderr, "%s: a line with %zu values, expected %zu\n", path.c_str(), d, dim);
      std::exit(2);
    }
  }
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 100000, dim = 64, clusters = 1000, queries = 2000, M = 16, efc = 200, runs = 3;
  double sigma = 0.5;
  uint64_t seed = 42;
  std::string metric_text = "cosine", embeddings, vectors_txt;
  std::vector<size_t> efs = {16, 32, 64, 128, 256}, threads = {1, 2};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const char* v = argv[i + 1];
    if (a == "--n") n = std::strtoull(v, nullptr, 10);
    else if (a == "--dim") dim = std::strtoull(v, nullptr, 10);
    else if (a == "--clusters") clusters = std::strtoull(v, nullptr, 10);
    else if (a == "--sigma") sigma = std::atof(v);
    else if (a == "--metric") metric_text = v;
    else if (a == "--embeddings") embeddings = v;
    else if (a == "--vectors") vectors_txt = v;
    else if (a == "--queries") queries = std::strtoull(v, nullptr, 10);
    else if (a == "--M") M = std::strtoull(v, nullptr, 10);
    else if (a == "--ef-construction") efc = std::strtoull(v, nullptr, 10);
    else if (a == "--ef") efs = parse_list(v);
    else if (a == "--threads") threads = parse_list(v);
    else if (a == "--runs") runs = std::strtoull(v, nullptr, 10);
    else if (a == "--seed") seed = std::strtoull(v, nullptr, 10);
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  EmbeddingMetric metric = parse_metric(metric_text);
  std::vector<float> x, qs;
  std::vector<uint32_t> query_rows;  // file mode: the row each query came from (excluded)
  Rng rng(seed);
  nlohmann::json data;
  if (!embeddings.empty() || !vectors_txt.empty()) {
    if (!embeddings.empty()) {
      const Embeddings e = Embeddings::load(embeddings);
      dim = e.dim();
      metric = e.metric();
      x.assign(e.items().vectors().begin(), e.items().vectors().end());
      data = {{"embeddings", embeddings}};
    } else {
      x = read_text_vectors(vectors_txt, dim);
      data = {{"vectors", vectors_txt}};
    }
    n = x.size() / dim;
    queries = std::min(queries, n);
    for (size_t q = 0; q < queries; ++q) {
      const uint32_t r = uint32_t(rng.below(n));
      query_rows.push_back(r);
      qs.insert(qs.end(), x.begin() + size_t(r) * dim, x.begin() + size_t(r + 1) * dim);
    }
  } else {
    std::vector<float> centres(clusters * dim);
    for (float& c : centres) c = float(rng.normal());
    auto point = [&](std::vector<float>& out) {
      const size_t c = rng.below(clusters);
      for (size_t j = 0; j < dim; ++j) out.push_back(centres[c * dim + j] + float(sigma * rng.normal()));
    };
    x.reserve(n * dim);
    for (size_t i = 0; i < n; ++i) point(x);
    for (size_t q = 0; q < queries; ++q) point(qs);
    data = {{"synthetic", {{"clusters", clusters}, {"sigma", sigma}}}};
  }
  data["n"] = n;
  data["dim"] = dim;
  data["metric"] = metric_name(metric);
  data["queries"] = queries;
  // File mode: a query's own row is excluded, as the embedding source excludes history items.
  const size_t k = 10;
  // File mode: k + 1 results with the query's own row dropped (as the embedding source
  // excludes history items), so both indexes run their plain (batch) search.
  auto search_all = [&](const VectorIndex& idx, int t) {
    if (query_rows.empty()) return idx.search_batch(qs, k, RunContext{.threads = t});
    auto out = idx.search_batch(qs, k + 1, RunContext{.threads = t});
    for (size_t q = 0; q < queries; ++q) {
      const uint32_t self = query_rows[q];
      std::erase_if(out[q], [self](const Neighbor& nb) { return nb.row == self; });
      if (out[q].size() > k) out[q].resize(k);
    }
    return out;
  };

  nlohmann::json report = {{"data", data}, {"k", k}, {"runs", runs}};
  const ExactIndex exact(x, uint32_t(dim), metric);
  const auto truth = search_all(exact, 1);
  for (size_t t : threads) {
    std::vector<double> qps;
    for (size_t r = 0; r < runs; ++r) {
      Stopwatch sw;
      const auto got = search_all(exact, int(t));
      qps.push_back(double(queries) / sw.elapsed_seconds());
    }
    report["exact"].push_back({{"threads", t}, {"queries_per_s", median(qps)}});
  }
  for (size_t t : threads) {
    Stopwatch sw;
    const auto h = HnswIndex::build(x, uint32_t(dim), metric, {.M = M, .ef_construction = efc, .seed = seed},
                                    RunContext{.threads = int(t)});
    const double build_s = sw.elapsed_seconds();
    nlohmann::json rows = nlohmann::json::array();
    for (size_t ef : efs) {
      h->set_ef_search(ef);
      std::vector<double> qps, rec;
      for (size_t r = 0; r < runs; ++r) {
        Stopwatch s2;
        const auto got = search_all(*h, int(t));
        qps.push_back(double(queries) / s2.elapsed_seconds());
        rec.push_back(neighbor_recall(got, truth));
      }
      rows.push_back({{"ef_search", ef}, {"recall_at_10", median(rec)}, {"queries_per_s", median(qps)}});
    }
    report["hnsw"].push_back({{"threads", t}, {"M", M}, {"ef_construction", efc}, {"build_s", build_s},
                              {"search", rows}});
  }
  std::printf("%s\n", report.dump(1).c_str());
  return 0;
}
