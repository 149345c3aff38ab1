#include "reco/data/random_gen.h"

#include <gtest/gtest.h>

#include <cmath>

#include "reco/core/error.h"
#include "reco/data/dataset.h"
#include "testing/testing.h"

namespace reco {
namespace {

using reco::testing::TempDir;

RandomDatasetSpec small_spec() {
  RandomDatasetSpec s;
  s.rows = 3 * kRandomGenChunkRows + 123;  // several chunks, a ragged last one
  s.dense = 3;
  s.table_sizes = {10, 1000, 1};
  s.seed = 5;
  return s;
}

TEST(RandomGen, IdenticalBytesForAnyThreadCount) {
  TempDir dir;
  for (bool multi : {false, true}) {
    RandomDatasetSpec spec = small_spec();
    if (multi) {
      spec.lookups = 4;
      spec.variable_lookups = true;
      spec.dense_distribution = DenseDistribution::kNormal;
    }
    RunContext one, two;
    one.threads = 1;
    two.threads = 2;
    generate_random_dataset(spec, dir.file("a.reco"), one);
    generate_random_dataset(spec, dir.file("b.reco"), two);
    EXPECT_EQ(reco::testing::read_file(dir.file("a.reco")), reco::testing::read_file(dir.file("b.reco")));
    spec.seed += 1;
    generate_random_dataset(spec, dir.file("c.reco"), two);
    EXPECT_NE(reco::testing::read_file(dir.file("a.reco")), reco::testing::read_file(dir.file("c.reco")));
  }
}

TEST(RandomGen, ShapeAndRanges) {
  TempDir dir;
  RandomDatasetSpec spec = small_spec();
  RunContext ctx;
  ctx.threads = 2;
  generate_random_dataset(spec, dir.file("d.reco"), ctx);
  Dataset d = Dataset::open(dir.file("d.reco"));
  EXPECT_EQ(d.rows(), spec.rows);
  ASSERT_EQ(d.columns().size(), 3u + 3u + 1u);
  EXPECT_EQ(d.labels(), std::vector<std::string>{"label"});
  for (int j = 0; j < 3; ++j) {
    double sum = 0;
    for (float x : d.f32("dense_" + std::to_string(j))) {
      ASSERT_GE(x, 0.0f);
      ASSERT_LT(x, 1.0f);
      sum += x;
    }
    EXPECT_NEAR(sum / spec.rows, 0.5, 0.01);
  }
  for (size_t t = 0; t < spec.table_sizes.size(); ++t) {
    const ColumnInfo& c = d.column("cat_" + std::to_string(t));
    EXPECT_EQ(c.role, ColumnRole::kCategorical);
    EXPECT_EQ(c.cardinality, spec.table_sizes[t]);
    std::vector<uint64_t> hist(spec.table_sizes[t]);
    for (uint32_t id : d.u32(c.name)) ++hist.at(id);  // .at: ids in range
    for (uint64_t h : hist) EXPECT_GT(h, 0u);          // every id drawn for these small tables
  }
  double pos = 0;
  for (float y : d.f32("label")) {
    ASSERT_TRUE(y == 0.0f || y == 1.0f);
    pos += y;
  }
  EXPECT_NEAR(pos / spec.rows, 0.5, 0.05);
  EXPECT_EQ(d.extra()["generator"]["seed"], 5);
}

TEST(RandomGen, LogisticLabelsDependOnFeatures) {
  TempDir dir;
  RandomDatasetSpec spec = small_spec();
  spec.table_sizes = {4};
  spec.dense = 1;
  RunContext ctx;
  generate_random_dataset(spec, dir.file("d.reco"), ctx);
  Dataset d = Dataset::open(dir.file("d.reco"));
  // The positive rate per id of the single table must differ between ids (a learner can
  // use it), whereas rate labels would make them equal up to noise.
  std::vector<double> pos(4), cnt(4);
  auto ids = d.u32("cat_0");
  auto y = d.f32("label");
  for (size_t r = 0; r < ids.size(); ++r) pos[ids[r]] += y[r], cnt[ids[r]] += 1;
  double lo = 1, hi = 0;
  for (int i = 0; i < 4; ++i) lo = std::min(lo, pos[i] / cnt[i]), hi = std::max(hi, pos[i] / cnt[i]);
  EXPECT_GT(hi - lo, 0.05);

  spec.label_mode = LabelMode::kRate;
  spec.label_rate = 0.1;
  generate_random_dataset(spec, dir.file("r.reco"), ctx);
  Dataset r = Dataset::open(dir.file("r.reco"));
  double p = 0;
  for (float v : r.f32("label")) p += v;
  const double n = static_cast<double>(spec.rows);
  EXPECT_NEAR(p / n, 0.1, 6 * std::sqrt(0.09 / n));
}

TEST(RandomGen, MultiHotShape) {
  TempDir dir;
  RandomDatasetSpec spec;
  spec.rows = 5000;
  spec.dense = 0;
  spec.table_sizes = {50, 7};
  spec.lookups = 3;
  RunContext ctx;
  generate_random_dataset(spec, dir.file("m.reco"), ctx);
  Dataset d = Dataset::open(dir.file("m.reco"));
  MultiHotView m = d.multi_hot("cat_0");
  EXPECT_EQ(m.values.size(), 3u * spec.rows);
  for (uint64_t r = 0; r < spec.rows; ++r) EXPECT_EQ(m.row(r).size(), 3u);
  spec.variable_lookups = true;
  generate_random_dataset(spec, dir.file("v.reco"), ctx);
  Dataset v = Dataset::open(dir.file("v.reco"));
  MultiHotView mv = v.multi_hot("cat_1");
  std::vector<int> lengths(4);
  for (uint64_t r = 0; r < spec.rows; ++r) ++lengths.at(mv.row(r).size());
  EXPECT_EQ(lengths[0], 0);
  for (int k = 1; k <= 3; ++k) EXPECT_GT(lengths[k], 1000);
}

TEST(RandomGen, ValidatesSpec) {
  TempDir dir;
  RunContext ctx;
  RandomDatasetSpec s;
  s.table_sizes = {0};
  EXPECT_THROW(generate_random_dataset(s, dir.file("x"), ctx), Error);
  s.table_sizes = {uint64_t{1} << 32};
  EXPECT_THROW(generate_random_dataset(s, dir.file("x"), ctx), Error);
  s.table_sizes = {3};
  s.label_rate = 1.0;
  EXPECT_THROW(generate_random_dataset(s, dir.file("x"), ctx), Error);
  EXPECT_THROW(parse_dense_distribution("zipf"), Error);
  EXPECT_EQ(parse_label_mode("rate"), LabelMode::kRate);
}

}  // namespace
}  // namespace reco
