// Apply mode on real Criteo rows: encode criteo_sampled_data_324.csv exactly like
// criteo_sample_deepctr_200.csv was encoded
// (row counts from ../shared/data/criteo-sample/SOURCE.md).
#include <gtest/gtest.h>

#include <string>

#include "reco/data/dataset.h"
#include "reco/data/ingest.h"
#include "reco/data/presets.h"
#include "testing/testing.h"

namespace reco {
namespace {

void expect_ids_below_cardinality(const Dataset& ds) {
  for (const ColumnInfo& c : ds.columns()) {
    if (c.storage != ColumnStorage::kU32) continue;
    uint64_t bad = 0;
    for (uint32_t id : ds.u32(c.name)) bad += id >= c.cardinality ? 1 : 0;
    EXPECT_EQ(bad, 0u) << c.name;
  }
}

// Ingests the 200-row sample with `schema`, applies it to the 324-row sample, checks the
// invariants apply mode promises and returns the applied dataset's report.
IngestReport apply_criteo(const reco::testing::TempDir& dir, const Schema& schema,
                          const std::string& train_csv, const std::string& new_csv) {
  IngestOptions o;
  o.inputs = {train_csv};
  o.schema = schema;
  o.output = dir.file("train.reco");
  o.ctx.quiet = true;
  ingest(o);

  IngestOptions a;
  a.inputs = {new_csv};
  a.reference = o.output;
  a.output = dir.file("new.reco");
  a.ctx.quiet = true;
  IngestReport r = ingest(a);

  Dataset ref = Dataset::open(o.output);
  Dataset ds = Dataset::open(a.output);  // validates ids < cardinality too
  EXPECT_EQ(ref.rows(), 200u);
  EXPECT_EQ(ds.rows(), 324u);
  EXPECT_EQ(r.rows_written, 324u);
  EXPECT_EQ(ds.extra()["reference"], o.output);
  EXPECT_EQ(ds.labels(), ref.labels());
  EXPECT_EQ(ds.columns().size(), ref.columns().size());
  for (const ColumnInfo& c : ref.columns()) {
    if (!ds.has(c.name)) {
      ADD_FAILURE() << "missing column " << c.name;
      continue;
    }
    EXPECT_EQ(ds.column(c.name).cardinality, c.cardinality) << c.name;
    EXPECT_EQ(ds.column(c.name).encoding, c.encoding) << c.name;
  }
  expect_ids_below_cardinality(ds);
  // OOV counts are the rows whose vocab id is 0.
  for (const auto& [name, oov] : r.oov) {
    uint64_t zeros = 0;
    for (uint32_t id : ds.u32(name)) zeros += id == 0 ? 1 : 0;
    EXPECT_EQ(oov, zeros) << name;
  }
  return r;
}

TEST(IngestApplyShared, CriteoCsvPresetHashed) {
  RECO_REQUIRE_SHARED(train, "criteo-sample/criteo_sample_deepctr_200.csv");
  RECO_REQUIRE_SHARED(rows, "criteo-sample/criteo_sampled_data_324.csv");
  reco::testing::TempDir dir;
  IngestReport r = apply_criteo(dir, preset_schema("criteo-csv"), train.string(), rows.string());
  EXPECT_TRUE(r.oov.empty());  // hashed columns have no out-of-vocabulary slot
}

TEST(IngestApplyShared, CriteoWithVocabularies) {
  RECO_REQUIRE_SHARED(train, "criteo-sample/criteo_sample_deepctr_200.csv");
  RECO_REQUIRE_SHARED(rows, "criteo-sample/criteo_sampled_data_324.csv");
  std::string toml(preset_toml("criteo-csv"));
  const std::string hashed = "encoding = \"hash\"\nbuckets = 1048576";
  ASSERT_NE(toml.find(hashed), std::string::npos);
  toml.replace(toml.find(hashed), hashed.size(), "min_count = 2");
  reco::testing::TempDir dir;
  IngestReport r = apply_criteo(dir, parse_schema(toml, "criteo-vocab.toml"), train.string(),
                                rows.string());
  ASSERT_EQ(r.oov.size(), 26u);
  // SOURCE.md: the two files share one row, so most C3 values (high cardinality) are unseen.
  EXPECT_GT(r.oov.at("C3"), 162u);
}

}  // namespace
}  // namespace reco
