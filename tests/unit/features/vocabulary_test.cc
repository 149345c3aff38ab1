#include "reco/features/vocabulary.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "reco/core/error.h"

namespace reco {
namespace {

TEST(VocabularyBuilder, ProvisionalIdsInInsertionOrder) {
  VocabularyBuilder b;
  EXPECT_EQ(b.add("b"), 0u);
  EXPECT_EQ(b.add("a"), 1u);
  EXPECT_EQ(b.add("b"), 0u);
  EXPECT_EQ(b.add(""), 2u);
  EXPECT_EQ(b.size(), 3u);
  EXPECT_EQ(b.count(0), 2u);
  EXPECT_EQ(b.token(2), "");
  EXPECT_EQ(b.find("a"), 1u);
  EXPECT_EQ(b.find("zz"), UINT32_MAX);
}

TEST(VocabularyBuilder, FinalIdsByCountThenFirstAppearance) {
  VocabularyBuilder b;
  // counts: x=1, y=3, z=3, w=2, ""=2 ; first appearance order x,y,z,w,""
  for (const char* t : {"x", "y", "z", "w", "", "y", "z", "w", "", "y", "z"}) b.add(t);
  auto r = b.finalize();
  const Vocabulary& v = r.vocabulary;
  ASSERT_EQ(v.size(), 6u);
  EXPECT_EQ(v.token(0), "<oov>");
  EXPECT_EQ(v.token(1), "y");
  EXPECT_EQ(v.token(2), "z");
  EXPECT_EQ(v.token(3), "w");
  EXPECT_EQ(v.token(4), "");
  EXPECT_EQ(v.token(5), "x");
  EXPECT_EQ(v.count(1), 3u);
  EXPECT_EQ(v.count(0), 0u);
  EXPECT_EQ(r.remap, (std::vector<uint32_t>{5, 1, 2, 3, 4}));
  EXPECT_EQ(v.lookup(""), 4u);
  EXPECT_EQ(v.lookup("unseen"), Vocabulary::kOov);
}

TEST(VocabularyBuilder, MinCountAndMaxSizeGoToOov) {
  VocabularyBuilder b;
  for (const char* t : {"a", "b", "b", "c", "c", "c", "d", "d", "d", "d"}) b.add(t);
  auto r = b.finalize(/*min_count=*/2, /*max_size=*/0);
  EXPECT_EQ(r.vocabulary.size(), 4u);
  EXPECT_EQ(r.vocabulary.lookup("a"), 0u);
  EXPECT_EQ(r.vocabulary.count(0), 1u);
  EXPECT_EQ(r.remap[0], 0u);  // "a"
  auto capped = b.finalize(1, 2);
  EXPECT_EQ(capped.vocabulary.size(), 3u);
  EXPECT_EQ(capped.vocabulary.token(1), "d");
  EXPECT_EQ(capped.vocabulary.token(2), "c");
  EXPECT_EQ(capped.vocabulary.count(0), 3u);  // a + 2*b
  EXPECT_EQ(capped.remap, (std::vector<uint32_t>{0, 0, 2, 1}));
}

TEST(VocabularyBuilder, ManyTokensMatchAReferenceMap) {
  std::mt19937_64 rng(3);
  VocabularyBuilder b;
  std::map<std::string, uint64_t> ref;
  std::vector<std::string> seq;
  for (int i = 0; i < 50000; ++i) {
    std::string t = "t" + std::to_string(rng() % 7000);
    seq.push_back(t);
    ++ref[t];
    b.add(t);
  }
  ASSERT_EQ(b.size(), ref.size());
  auto r = b.finalize();
  for (const auto& [t, c] : ref) {
    uint32_t id = r.vocabulary.lookup(t);
    ASSERT_NE(id, 0u);
    EXPECT_EQ(r.vocabulary.count(id), c);
    EXPECT_EQ(r.vocabulary.token(id), t);
  }
  for (uint32_t id = 2; id < r.vocabulary.size(); ++id) {
    EXPECT_GE(r.vocabulary.count(id - 1), r.vocabulary.count(id));
  }
}

TEST(VocabularyBuilder, MergeInChunkOrderEqualsSequential) {
  std::vector<std::string> tokens;
  for (int i = 0; i < 3000; ++i) tokens.push_back(std::to_string((i * 7919) % 1013));
  VocabularyBuilder seq;
  for (const auto& t : tokens) seq.add(t);
  VocabularyBuilder merged, part1, part2;
  for (size_t i = 0; i < tokens.size(); ++i) (i < 1700 ? part1 : part2).add(tokens[i]);
  merged.merge(part1);
  auto remap2 = merged.merge(part2);
  ASSERT_EQ(remap2.size(), part2.size());
  for (uint32_t id = 0; id < part2.size(); ++id) EXPECT_EQ(merged.token(remap2[id]), part2.token(id));
  auto a = seq.finalize(2), c = merged.finalize(2);
  ASSERT_EQ(a.vocabulary.size(), c.vocabulary.size());
  EXPECT_EQ(a.vocabulary.bytes(), c.vocabulary.bytes());
  EXPECT_EQ(a.remap, c.remap);
}

TEST(Vocabulary, SerializeRoundTrip) {
  VocabularyBuilder b;
  for (const char* t : {"alpha", "", "beta", "alpha", "gamma\tdelta"}) b.add(t);
  auto r = b.finalize();
  const Vocabulary& v = r.vocabulary;
  auto offs = v.offsets();
  ASSERT_EQ(offs.size(), v.size() + 1);
  EXPECT_EQ(offs[0], 0u);
  EXPECT_EQ(offs[1], 0u);
  Vocabulary copy(v.offsets(), v.bytes(), v.counts());
  ASSERT_EQ(copy.size(), v.size());
  for (uint32_t id = 0; id < v.size(); ++id) {
    EXPECT_EQ(copy.token(id), v.token(id));
    EXPECT_EQ(copy.count(id), v.count(id));
    if (id > 0) {
      EXPECT_EQ(copy.lookup(v.token(id)), id);
    }
  }
  Vocabulary empty;
  EXPECT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty.lookup(""), 0u);
}

TEST(Vocabulary, CorruptArraysRejected) {
  std::vector<uint64_t> offsets{0, 0, 1, 2};
  std::vector<uint64_t> counts{0, 1, 1};
  EXPECT_NO_THROW(Vocabulary(offsets, "ab", counts));
  try {
    Vocabulary(offsets, "aa", counts);
    FAIL() << "duplicate tokens accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt);
  }
  std::vector<uint64_t> bad{0, 0, 2, 1};
  EXPECT_THROW(Vocabulary(bad, "ab", counts), Error);
  std::vector<uint64_t> short_offsets{0, 0, 1};
  EXPECT_THROW(Vocabulary(short_offsets, "ab", counts), Error);
  EXPECT_THROW(Vocabulary(offsets, "abc", counts), Error);
  EXPECT_THROW(Vocabulary().token(1), Error);
}

}  // namespace
}  // namespace reco
