// Embeddings: in-memory checks, container round trip (views equal the written values,
// lookups by id), rejected inputs.
#include <gtest/gtest.h>

#include <fstream>

#include "reco/core/error.h"
#include "reco/retrieval/embeddings.h"
#include "testing/testing.h"

namespace reco {
namespace {

Embeddings small(bool users) {
  std::vector<uint64_t> ids = {90, 7, 123456789012ULL};
  std::vector<float> vec = {1, 2, 3, 4, 5, 6};
  std::vector<uint64_t> uids;
  std::vector<float> uvec;
  if (users) uids = {5}, uvec = {-1.5f, 0.25f};
  return Embeddings(2, EmbeddingMetric::kCosine, ids, vec, uids, uvec, {{"method", "test"}});
}

TEST(Embeddings, LookupByIdInMemory) {
  const Embeddings e = small(true);
  EXPECT_EQ(e.items().size(), 3u);
  EXPECT_EQ(e.items().find(7), 1u);
  EXPECT_EQ(e.items().find(8), kNoRow);
  EXPECT_EQ(e.items().row(2)[1], 6.0f);
  ASSERT_TRUE(e.has_users());
  EXPECT_EQ(e.users().row(e.users().find(5))[0], -1.5f);
}

TEST(Embeddings, RoundTripKeepsEveryValue) {
  testing::TempDir dir;
  const std::string path = dir.file("e.embed");
  for (bool users : {false, true}) {
    small(users).save(path);
    Embeddings moved = Embeddings::load(path);
    const Embeddings e = std::move(moved);  // views must survive a move
    EXPECT_EQ(e.dim(), 2u);
    EXPECT_EQ(e.metric(), EmbeddingMetric::kCosine);
    EXPECT_EQ(e.meta().at("method"), "test");
    EXPECT_EQ(e.has_users(), users);
    const uint32_t r = e.items().find(123456789012ULL);
    ASSERT_EQ(r, 2u);
    EXPECT_EQ(e.items().row(r)[0], 5.0f);
    EXPECT_EQ(e.items().row(0)[1], 2.0f);
    if (users) {
      EXPECT_EQ(e.users().row(0)[1], 0.25f);
    }
  }
}

TEST(Embeddings, RejectsBadTables) {
  EXPECT_THROW(Embeddings(2, EmbeddingMetric::kDot, {1, 2}, {1, 2, 3}), Error);           // size
  EXPECT_THROW(Embeddings(1, EmbeddingMetric::kDot, {1, 1}, {1, 2}), Error);              // duplicate id
  EXPECT_THROW(Embeddings(1, EmbeddingMetric::kDot, {1}, {std::nanf("")}), Error);        // not finite
  EXPECT_THROW(Embeddings(0, EmbeddingMetric::kDot, {}, {}), Error);                      // dim 0
  EXPECT_THROW(parse_metric("l2"), Error);
}

TEST(Embeddings, LoadRejectsOtherKindAndCorruption) {
  testing::TempDir dir;
  const std::string path = dir.file("e.embed");
  small(false).save(path);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
  }
  try {
    Embeddings::load(path);
    FAIL() << "corrupt file accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt);
  }
}

}  // namespace
}  // namespace reco
