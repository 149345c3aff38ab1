// Every preset on its real file in ../shared/data, with counts checked against SOURCE.md.
#include <gtest/gtest.h>

#include <cmath>

#include "reco/data/dataset.h"
#include "reco/data/ingest.h"
#include "reco/data/presets.h"
#include "testing/testing.h"

namespace reco {
namespace {

struct Ingested {
  IngestReport report;
  Dataset dataset;
};

Ingested run(const reco::testing::TempDir& dir, const std::string& preset,
             std::vector<std::string> inputs) {
  IngestOptions o;
  o.inputs = std::move(inputs);
  o.schema = preset_schema(preset);
  o.schema_name = preset;
  o.output = dir.file(preset + ".reco");
  o.ctx.quiet = true;
  IngestReport r = ingest(o);
  return Ingested{r, Dataset::open(o.output)};
}

double sum(std::span<const float> v) {
  double s = 0;
  for (float x : v) s += x;
  return s;
}

TEST(PresetsShared, Taobao) {
  RECO_REQUIRE_SHARED(path, "taobao-userbehavior-head/UserBehavior_head_84475.csv");
  reco::testing::TempDir dir;
  auto [r, ds] = run(dir, "taobao", {path.string()});
  EXPECT_EQ(ds.rows(), 84475u);
  EXPECT_EQ(sum(ds.f32("pv")), 75872);
  EXPECT_EQ(sum(ds.f32("fav")), 2356);
  EXPECT_EQ(sum(ds.f32("cart")), 4497);
  EXPECT_EQ(sum(ds.f32("buy")), 1750);
  EXPECT_EQ(ds.column("user_id").cardinality, 815u + 1);
  EXPECT_EQ(ds.column("item_id").cardinality, 55368u + 1);
  EXPECT_EQ(ds.column("category_id").cardinality, 2914u + 1);
  EXPECT_EQ(ds.i64("timestamp")[0], 1511544070);
}

TEST(PresetsShared, CensusKddGzip) {
  RECO_REQUIRE_SHARED(path, "census-income-kdd/census-income.test.gz");
  reco::testing::TempDir dir;
  auto [r, ds] = run(dir, "census-kdd", {path.string()});
  EXPECT_EQ(ds.rows(), 99762u);
  EXPECT_EQ(sum(ds.f32("income_50k")), 6186);
  EXPECT_EQ(sum(ds.f32("never_married")), 43143);
  EXPECT_FALSE(ds.has("marital_stat"));
  EXPECT_EQ(ds.column("instance_weight").role, ColumnRole::kWeight);
  EXPECT_EQ(ds.column("age").role, ColumnRole::kDense);
  EXPECT_EQ(ds.column("education").role, ColumnRole::kCategorical);
  EXPECT_LT(r.bytes_read, r.text_bytes);  // read compressed
}

TEST(PresetsShared, AdultTrainAndTest) {
  RECO_REQUIRE_SHARED(train, "uci-adult/adult.data");
  RECO_REQUIRE_SHARED(test, "uci-adult/adult.test");
  reco::testing::TempDir dir;
  auto [r, ds] = run(dir, "adult", {train.string()});
  EXPECT_EQ(ds.rows(), 32561u);
  EXPECT_EQ(sum(ds.f32("income")), 7841);
  EXPECT_EQ(sum(ds.f32("never_married")), 10683);
  EXPECT_FALSE(ds.has("marital-status"));
  auto [r2, ds2] = run(dir, "adult", {test.string()});
  EXPECT_EQ(ds2.rows(), 16281u);
  EXPECT_EQ(sum(ds2.f32("income")), 3846);
}

TEST(PresetsShared, MovieLens) {
  RECO_REQUIRE_SHARED(data, "movielens-100k/u.data");
  RECO_REQUIRE_SHARED(users, "movielens-100k/u.user");
  RECO_REQUIRE_SHARED(items, "movielens-100k/u.item");
  reco::testing::TempDir dir;
  auto [r, ds] = run(dir, "movielens-ratings", {data.string()});
  EXPECT_EQ(ds.rows(), 100000u);
  EXPECT_EQ(sum(ds.f32("liked")), 34174 + 21201);
  EXPECT_EQ(sum(ds.f32("rating")), 1 * 6110 + 2 * 11370 + 3 * 27145 + 4 * 34174 + 5 * 21201);
  EXPECT_EQ(ds.column("user_id").cardinality, 943u + 1);
  EXPECT_EQ(ds.column("item_id").cardinality, 1682u + 1);
  auto [ru, du] = run(dir, "movielens-users", {users.string()});
  EXPECT_EQ(du.rows(), 943u);
  auto [ri, di] = run(dir, "movielens-items", {items.string()});
  EXPECT_EQ(di.rows(), 1682u);
  EXPECT_TRUE(di.has("genre_drama"));
}

TEST(PresetsShared, CriteoCsvSamples) {
  RECO_REQUIRE_SHARED(a, "criteo-sample/criteo_sample_deepctr_200.csv");
  RECO_REQUIRE_SHARED(b, "criteo-sample/criteo_sampled_data_324.csv");
  reco::testing::TempDir dir;
  auto [r, ds] = run(dir, "criteo-csv", {a.string()});
  EXPECT_EQ(ds.rows(), 200u);
  EXPECT_EQ(sum(ds.f32("label")), 49);
  EXPECT_EQ(ds.column("C1").cardinality, 1u << 20);
  for (float x : ds.f32("I2")) EXPECT_TRUE(std::isfinite(x));  // I2 = -1 occurs: clamped
  auto [r2, both] = run(dir, "criteo-csv", {a.string(), b.string()});
  EXPECT_EQ(both.rows(), 524u);
  EXPECT_EQ(sum(both.f32("label")), 49 + 70);
}

TEST(PresetsShared, CriteoTsvFromTheCsvSample) {
  RECO_REQUIRE_SHARED(a, "criteo-sample/criteo_sample_deepctr_200.csv");
  reco::testing::TempDir dir;
  // The published layout is TSV without a header: rebuild it from the CSV sample.
  std::string text = reco::testing::read_file(a.string());
  text = text.substr(text.find('\n') + 1);
  for (char& c : text) {
    if (c == ',') c = '\t';
  }
  reco::testing::write_file(dir.file("train.txt"), text);
  auto [r, ds] = run(dir, "criteo-tsv", {dir.file("train.txt")});
  EXPECT_EQ(ds.rows(), 200u);
  EXPECT_EQ(sum(ds.f32("label")), 49);
}

TEST(PresetsShared, Avazu) {
  RECO_REQUIRE_SHARED(path, "avazu-sample/avazu_sample_deepctr_100.csv");
  reco::testing::TempDir dir;
  auto [r, ds] = run(dir, "avazu", {path.string()});
  EXPECT_EQ(ds.rows(), 100u);
  EXPECT_EQ(sum(ds.f32("click")), 20);
  EXPECT_FALSE(ds.has("id"));
  EXPECT_EQ(ds.i64("hour")[0], 1413849600);  // 14102100 = 2014-10-21 00:00 UTC
  EXPECT_EQ(ds.u32("hour_of_day")[0], 0u);
  EXPECT_EQ(ds.column("hour_of_day").cardinality, 24u);
}

TEST(PresetsShared, AliCcp) {
  RECO_REQUIRE_SHARED(train, "ali-ccp-sample/ali_ccp_train_sample.csv");
  RECO_REQUIRE_SHARED(val, "ali-ccp-sample/ali_ccp_val_sample.csv");
  RECO_REQUIRE_SHARED(test, "ali-ccp-sample/ali_ccp_test_sample.csv");
  reco::testing::TempDir dir;
  auto [r, ds] = run(dir, "ali-ccp", {train.string(), val.string(), test.string()});
  EXPECT_EQ(ds.rows(), 200u);
  EXPECT_EQ(sum(ds.f32("click")), 7 + 3 + 2);
  EXPECT_EQ(sum(ds.f32("purchase")), 3);
  EXPECT_EQ(ds.column("D508").role, ColumnRole::kDense);
  EXPECT_EQ(ds.column("101").role, ColumnRole::kUserId);
}

TEST(PresetsShared, AliExpress) {
  RECO_REQUIRE_SHARED(train, "aliexpress-sample/aliexpress_train_sample.csv");
  RECO_REQUIRE_SHARED(test, "aliexpress-sample/aliexpress_test_sample.csv");
  reco::testing::TempDir dir;
  auto [r, ds] = run(dir, "aliexpress", {train.string(), test.string()});
  EXPECT_EQ(ds.rows(), 120u);
  EXPECT_EQ(sum(ds.f32("click")), 70);
  EXPECT_EQ(sum(ds.f32("conversion")), 4);
  EXPECT_EQ(ds.column("numerical_63").role, ColumnRole::kDense);
}

TEST(PresetsShared, TmallEdges) {
  RECO_REQUIRE_SHARED(buy, "tmall-multibehavior-mbgcn/buy.txt");
  RECO_REQUIRE_SHARED(collect, "tmall-multibehavior-mbgcn/collect.txt");
  reco::testing::TempDir dir;
  auto [r, ds] = run(dir, "edges", {buy.string()});
  EXPECT_EQ(ds.rows(), 181428u);
  EXPECT_LE(ds.column("user_id").cardinality, 41738u);
  EXPECT_LE(ds.column("item_id").cardinality, 11953u);
  auto [r2, dc] = run(dir, "edges", {collect.string()});
  EXPECT_EQ(dc.rows(), 221514u);
}

}  // namespace
}  // namespace reco
