// CandidateMerger: quotas, dedup with provenance, top-up from leftovers, segment filter,
// and the segment table CSV.
#include <gtest/gtest.h>

#include "reco/core/error.h"
#include "reco/retrieval/candidate_merger.h"
#include "testing/testing.h"

namespace reco {
namespace {

// A fixed ranked list (scores descending from 10) honouring the request filter.
class ListSource final : public CandidateSource {
 public:
  ListSource(std::vector<uint64_t> items, uint16_t tag) : items_(std::move(items)), tag_(tag) {}
  std::string_view name() const override { return tag_ == 1 ? "a" : "b"; }
  std::vector<Candidate> query(const CandidateRequest& r, const RunContext&) const override {
    std::vector<Candidate> out;
    for (size_t i = 0; i < items_.size() && out.size() < r.k; ++i)
      if (!r.filter || r.filter(items_[i])) out.push_back({items_[i], 10.0f - i, tag_});
    return out;
  }

 private:
  std::vector<uint64_t> items_;
  uint16_t tag_;
};

std::vector<uint64_t> items_of(const std::vector<MergedCandidate>& v) {
  std::vector<uint64_t> out;
  for (const auto& m : v) out.push_back(m.item);
  return out;
}

TEST(CandidateMerger, QuotasDedupProvenanceAndTopUp) {
  auto a = std::make_shared<ListSource>(std::vector<uint64_t>{1, 2, 3, 4, 5}, 1);
  auto b = std::make_shared<ListSource>(std::vector<uint64_t>{2, 6, 7, 8}, 2);
  CandidateMerger merger({{a, 2, ""}, {b, 2, "bee"}});
  CandidateRequest req;
  req.k = 5;
  const auto got = merger.query_merged(req, RunContext{});
  // Round robin within quotas: 1 (a), 2 (b), 3 (a; its 2 is taken), 6 (b); top-up: 4 (a).
  EXPECT_EQ(items_of(got), (std::vector<uint64_t>{1, 2, 3, 6, 4}));
  EXPECT_EQ(got[1].placed_by, 1u);
  EXPECT_EQ(got[1].source, 2u);
  ASSERT_EQ(got[1].provenance.size(), 2u);
  EXPECT_EQ(got[1].provenance[0].input, 0u);
  EXPECT_EQ(got[1].provenance[0].rank, 2u);
  EXPECT_FLOAT_EQ(got[1].provenance[0].score, 9.0f);
  EXPECT_EQ(got[1].provenance[1].input, 1u);
  EXPECT_EQ(got[1].provenance[1].rank, 1u);
  EXPECT_EQ(got[0].provenance.size(), 1u);
  for (size_t i = 1; i < got.size(); ++i) EXPECT_LT(got[i].score, got[i - 1].score);
  const auto j = merged_json(merger, got);
  EXPECT_EQ(j[1]["placed_by"], "bee");
  EXPECT_EQ(j[1]["provenance"][0]["source"], "a");
  // Plain query: same items; k larger than everything: all distinct items once.
  req.k = 50;
  EXPECT_EQ(merger.query(req, RunContext{}).size(), 8u);
}

TEST(CandidateMerger, SegmentRestrictionAppliesToEverySource) {
  auto a = std::make_shared<ListSource>(std::vector<uint64_t>{1, 2, 3, 4, 5}, 1);
  auto b = std::make_shared<ListSource>(std::vector<uint64_t>{2, 6, 7, 8, 9}, 2);
  auto table = std::make_shared<SegmentTable>();
  for (uint64_t i = 1; i <= 8; ++i) table->set(i, i % 2 ? "odd" : "even");  // 9 has no value
  CandidateMerger merger({{a, 1, ""}, {b, 1, ""}});
  merger.restrict_to_segment(table, "even");
  CandidateRequest req;
  req.k = 4;
  req.filter = [](uint64_t i) { return i != 4; };  // the caller's filter still applies
  EXPECT_EQ(items_of(merger.query_merged(req, RunContext{})), (std::vector<uint64_t>{2, 6, 8}));
}

TEST(SegmentTable, LoadsHeaderColumnAndNamesBadLines) {
  testing::TempDir dir;
  testing::write_file(dir.file("seg.csv"), "item,category,locale\n1,shoes,fr\n2,hats,de\n");
  const SegmentTable t = SegmentTable::load(dir.file("seg.csv"), "locale");
  ASSERT_NE(t.find(2), nullptr);
  EXPECT_EQ(*t.find(2), "de");
  EXPECT_EQ(t.find(3), nullptr);
  EXPECT_EQ(*SegmentTable::load(dir.file("seg.csv")).find(1), "shoes");
  EXPECT_THROW(SegmentTable::load(dir.file("seg.csv"), "color"), Error);
  testing::write_file(dir.file("bad.csv"), "1,a\nx,b\n");
  try {
    SegmentTable::load(dir.file("bad.csv"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("bad.csv:2: field 'item'"), std::string::npos) << e.message();
  }
}

}  // namespace
}  // namespace reco
