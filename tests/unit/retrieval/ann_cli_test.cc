// `reco candidates build ann` end to end: an embeddings file written here, the index built
// and checked (JSON report), then opened by the embedding source; errors for a missing
// embeddings file and a bad option.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "reco/core/rng.h"
#include "reco/retrieval/embedding_source.h"
#include "reco/retrieval/hnsw_index.h"
#include "testing/testing.h"

namespace reco {
namespace {

std::pair<int, std::string> reco(const std::string& args) {
  return testing::run_command(testing::reco_binary() + " " + args + " 2>&1");
}

TEST(AnnCli, BuildSaveCheckAndQuery) {
  testing::TempDir dir;
  const uint32_t dim = 12;
  const size_t n = 3000;
  Rng rng(3);
  std::vector<float> centres(20 * dim), v(n * dim);
  for (float& c : centres) c = float(rng.normal());
  std::vector<uint64_t> ids(n);
  for (size_t i = 0; i < n; ++i) {
    ids[i] = 10 + 7 * i;
    const size_t c = rng.below(20);
    for (uint32_t j = 0; j < dim; ++j) v[i * dim + j] = centres[c * dim + j] + 0.3f * float(rng.normal());
  }
  const Embeddings e(dim, EmbeddingMetric::kCosine, ids, v);
  e.save(dir.file("e.embed"));

  auto [rc, out] = reco("candidates build ann --embeddings " + dir.file("e.embed") + " --out " + dir.file("e.ann") +
                        " --M 12 --ef-construction 100 --ef-search 80 --check-queries 300 --threads 2 --json");
  ASSERT_EQ(rc, 0) << out;
  const auto j = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_EQ(j["items"], n);
  EXPECT_EQ(j["metric"], "cosine");
  EXPECT_EQ(j["check"]["queries"], 300);
  EXPECT_GE(j["check"]["recall_at_10"].get<double>(), 0.95);
  EXPECT_GT(j["check"]["hnsw_queries_per_s"].get<double>(), 0.0);
  EXPECT_GT(j["check"]["exact_queries_per_s"].get<double>(), 0.0);

  const auto idx = HnswIndex::load(dir.file("e.ann"), e);
  EXPECT_EQ(idx->options().M, 12u);
  EXPECT_EQ(idx->options().ef_search, 80u);
  const auto src = open_embedding_source(dir.file("e.embed"), dir.file("e.ann"), {});
  CandidateRequest r;
  r.items = {ids[5]};
  r.k = 7;
  const auto c = src->query(r, RunContext{});
  ASSERT_EQ(c.size(), 7u);
  for (const auto& x : c) EXPECT_NE(x.item, ids[5]);

  // Text report without --json.
  auto [rc2, out2] = reco("candidates build ann --embeddings " + dir.file("e.embed") + " --out " +
                          dir.file("f.ann") + " --check-queries 50");
  ASSERT_EQ(rc2, 0) << out2;
  EXPECT_NE(out2.find("recall@10"), std::string::npos) << out2;

  auto [rc3, out3] = reco("candidates build ann --embeddings " + dir.file("missing.embed") + " --out " +
                          dir.file("g.ann"));
  EXPECT_NE(rc3, 0);
  EXPECT_NE(out3.find("missing.embed"), std::string::npos) << out3;
  auto [rc4, out4] = reco("candidates build ann --embeddings " + dir.file("e.embed") + " --out " +
                          dir.file("g.ann") + " --M 1");
  EXPECT_NE(rc4, 0);
  EXPECT_NE(out4.find("M must be"), std::string::npos) << out4;
}

}  // namespace
}  // namespace reco
