// Engagement samples on the real Taobao UserBehavior head (ingested with the taobao preset):
// the report's counts add up against the event log and the written file.
#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "reco/data/dataset.h"
#include "reco/data/engagement_samples.h"
#include "reco/data/ingest.h"
#include "reco/data/presets.h"
#include "testing/testing.h"

namespace reco {
namespace {

TEST(EngagementSamplesShared, TaobaoHeadCountsAddUp) {
  RECO_REQUIRE_SHARED(path, "taobao-userbehavior-head/UserBehavior_head_84475.csv");
  testing::TempDir dir;
  IngestOptions io;
  io.inputs = {path.string()};
  io.schema = preset_schema("taobao");
  io.schema_name = "taobao";
  io.output = dir.file("events.dataset");
  io.ctx.quiet = true;
  ingest(io);
  Dataset events = Dataset::open(io.output);

  EngagementSampleOptions opt;  // defaults: K = 4, alpha = 0.25, 0.8/0.1/0.1
  RunContext ctx;
  ctx.threads = 2;
  auto r = build_engagement_samples(events, dir.file("samples.dataset"), opt, ctx);
  Dataset ds = Dataset::open(dir.file("samples.dataset"));

  // Distinct (user, item) pairs and per-label positive pairs, from the events.
  const auto users = events.u32("user_id"), items = events.u32("item_id");
  std::set<std::pair<uint32_t, uint32_t>> pairs;
  std::vector<std::set<std::pair<uint32_t, uint32_t>>> positive(events.labels().size());
  for (size_t e = 0; e < events.rows(); ++e) {
    pairs.insert({users[e], items[e]});
    for (size_t l = 0; l < positive.size(); ++l) {
      if (events.f32(events.labels()[l])[e] > 0.5f) positive[l].insert({users[e], items[e]});
    }
  }
  EXPECT_EQ(r.events, 84475u);
  EXPECT_EQ(r.users, 815u);
  EXPECT_EQ(r.touched_pairs, pairs.size());
  EXPECT_EQ(r.negatives_wanted, r.user_categories * 4);
  EXPECT_EQ(r.negatives_drawn + r.negatives_shortfall, r.negatives_wanted);
  EXPECT_EQ(r.rows_seen[0] + r.rows_seen[1] + r.rows_seen[2], r.touched_pairs + r.negatives_drawn);
  EXPECT_EQ(r.rows_written[1], r.rows_seen[1]);
  EXPECT_EQ(r.rows_written[2], r.rows_seen[2]);
  EXPECT_EQ(r.rows_written[0], r.rows_seen[0] - (r.train_negatives_seen - r.train_negatives_kept));
  EXPECT_LT(r.train_negatives_kept, r.train_negatives_seen);
  EXPECT_EQ(ds.rows(), r.rows());
  ASSERT_EQ(ds.labels(), events.labels());
  for (size_t l = 0; l < positive.size(); ++l) {
    const auto& c = r.labels[l];
    // Positives are never dropped: every positive pair is written once.
    EXPECT_EQ(c.positives[0] + c.positives[1] + c.positives[2], positive[l].size()) << c.name;
    double written = 0;
    for (float y : ds.f32(c.name)) written += y;
    EXPECT_EQ(written, static_cast<double>(positive[l].size())) << c.name;
    EXPECT_GE(c.effective_alpha(), opt.alpha) << c.name;
    EXPECT_EQ(ds.extra()["downsampling"]["per_label"][c.name]["kept"].get<uint64_t>(), c.train_negatives_kept);
  }
  size_t per_part[3] = {0, 0, 0};
  for (uint8_t p : ds.split()) ++per_part[p];
  for (int p = 0; p < 3; ++p) EXPECT_EQ(per_part[p], r.rows_written[p]);
  // The event vocabularies travel with the samples, so ids stay decodable.
  for (const char* column : {"user_id", "item_id", "category_id"}) {
    EXPECT_EQ(ds.vocabulary(column).bytes(), events.vocabulary(column).bytes()) << column;
  }
}

}  // namespace
}  // namespace reco
