// Apply mode of ingest (IngestOptions::reference): new rows encoded exactly like a training set.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "reco/core/error.h"
#include "reco/data/dataset.h"
#include "reco/data/ingest.h"
#include "reco/features/hashing.h"
#include "testing/testing.h"

namespace reco {
namespace {

using reco::testing::TempDir;
using reco::testing::write_file;

constexpr const char* kSchema = R"(
[format]
delimiter = ","
header = true

[[column]]
name = "click"
role = "label"

[[column]]
name = "price"
role = "dense"

[[column]]
name = "city"
role = "categorical"

[[column]]
name = "tag"
role = "categorical"
encoding = "hash"
buckets = 97
seed = 7

[[column]]
name = "slot"
role = "categorical"
encoding = "identity"

[[column]]
name = "user"
role = "user_id"
)";

// price {10, 30, 10, 30}: zscore mean 20, population std 10. slot max 3 -> cardinality 4.
constexpr const char* kTrain =
    "click,price,city,tag,slot,user\n"
    "1,10,paris,a,0,u1\n"
    "0,30,rome,b,3,u2\n"
    "0,10,paris,c,1,u1\n"
    "1,30,berlin,a,2,u3\n";

struct Fixture {
  TempDir dir;
  std::string train;  // the reference dataset

  Fixture() {
    write_file(dir.file("train.csv"), kTrain);
    IngestOptions o;
    o.inputs = {dir.file("train.csv")};
    o.schema = parse_schema(kSchema, "test.toml");
    o.output = train = dir.file("train.reco");
    o.ctx.quiet = true;
    ingest(o);
  }

  // Apply options for `csv` (written to new.csv); schema left empty = the reference's.
  IngestOptions apply(const std::string& csv) const {
    write_file(dir.file("new.csv"), csv);
    IngestOptions o;
    o.inputs = {dir.file("new.csv")};
    o.output = dir.file("new.reco");
    o.reference = train;
    o.ctx.quiet = true;
    return o;
  }
};

std::string ingest_error(const IngestOptions& o) {
  try {
    ingest(o);
  } catch (const Error& e) {
    return e.message();
  }
  ADD_FAILURE() << "expected an error";
  return {};
}

TEST(IngestApply, ReusesVocabulariesHashingNormalizersAndCardinalities) {
  Fixture f;
  auto o = f.apply(
      "click,price,city,tag,slot,user\n"
      "0,25,rome,b,1,u2\n"
      "1,40,tokyo,zzz,2,u9\n"
      "0,,paris,a,0,u1\n");
  IngestReport r = ingest(o);
  EXPECT_EQ(r.rows_written, 3u);
  EXPECT_EQ(r.oov.at("city"), 1u);
  EXPECT_EQ(r.oov.at("user"), 1u);
  EXPECT_EQ(r.oov.count("tag"), 0u);  // hashing has no OOV

  Dataset ref = Dataset::open(f.train);
  Dataset ds = Dataset::open(o.output);
  ASSERT_EQ(ds.rows(), 3u);

  // Same token -> the reference's id; unseen -> 0.
  auto city = ds.u32("city");
  auto ref_city = ref.u32("city");
  EXPECT_EQ(city[0], ref_city[1]);  // rome
  EXPECT_EQ(city[2], ref_city[0]);  // paris
  EXPECT_NE(city[0], Vocabulary::kOov);
  EXPECT_EQ(city[1], Vocabulary::kOov);  // tokyo
  EXPECT_EQ(ds.vocabulary("city").token(city[0]), "rome");
  auto user = ds.u32("user");
  EXPECT_EQ(user[0], ref.u32("user")[1]);
  EXPECT_EQ(user[1], Vocabulary::kOov);
  EXPECT_EQ(ds.column("city").details["oov"], 1);

  // Hash buckets from the same buckets/seed.
  auto tag = ds.u32("tag");
  EXPECT_EQ(tag[0], ref.u32("tag")[1]);
  EXPECT_EQ(tag[1], hash_bucket("zzz", 97, 7));

  // Dense values normalized with the training parameters (mean 20, std 10), not refit.
  auto price = ds.f32("price");
  EXPECT_FLOAT_EQ(price[0], 0.5f);   // (25 - 20) / 10
  EXPECT_FLOAT_EQ(price[1], 2.0f);   // (40 - 20) / 10
  EXPECT_FLOAT_EQ(price[2], 0.0f);   // missing
  EXPECT_EQ(ds.column("price").details["normalizer"], ref.column("price").details["normalizer"]);
  EXPECT_EQ(ds.column("price").details["stats"]["count"], 2);  // raw stats of the new rows

  // Same columns, order and cardinalities as the reference.
  ASSERT_EQ(ds.columns().size(), ref.columns().size());
  for (size_t i = 0; i < ref.columns().size(); ++i) {
    EXPECT_EQ(ds.columns()[i].name, ref.columns()[i].name);
    EXPECT_EQ(ds.columns()[i].cardinality, ref.columns()[i].cardinality) << ref.columns()[i].name;
  }
  EXPECT_EQ(ds.column("slot").cardinality, 4u);
  EXPECT_EQ(ds.extra()["reference"], f.train);
  EXPECT_EQ(ds.extra()["schema_toml"], std::string(kSchema));
  EXPECT_EQ(ds.extra()["ingest"]["oov"]["city"], 1);
  EXPECT_TRUE(ds.split().empty());
}

TEST(IngestApply, ColumnsInAnotherInputOrderAreWrittenInReferenceOrder) {
  Fixture f;
  auto o = f.apply(
      "user,slot,tag,city,price,click\n"
      "u3,2,a,berlin,30,1\n");
  ingest(o);
  Dataset ref = Dataset::open(f.train);
  Dataset ds = Dataset::open(o.output);
  ASSERT_EQ(ds.columns().size(), ref.columns().size());
  for (size_t i = 0; i < ref.columns().size(); ++i) {
    EXPECT_EQ(ds.columns()[i].name, ref.columns()[i].name);
  }
  EXPECT_EQ(ds.u32("city")[0], ref.u32("city")[3]);
  EXPECT_EQ(ds.u32("user")[0], ref.u32("user")[3]);
}

TEST(IngestApply, IdentityIdAtOrAboveReferenceCardinalityIsABadRow) {
  Fixture f;
  const std::string header = "click,price,city,tag,slot,user\n";
  auto o = f.apply(header + "0,10,rome,b,3,u2\n1,10,rome,b,4,u2\n");
  std::string m = ingest_error(o);
  EXPECT_NE(m.find("new.csv:3:"), std::string::npos) << m;
  EXPECT_NE(m.find("slot: expected an id below the reference dataset's cardinality 4, got '4'"),
            std::string::npos)
      << m;
  o.on_error = OnError::kSkip;
  IngestReport r = ingest(o);
  EXPECT_EQ(r.rows_written, 1u);
  EXPECT_EQ(r.skip_reasons.at("id"), 1u);
  EXPECT_EQ(Dataset::open(o.output).column("slot").cardinality, 4u);
}

TEST(IngestApply, LabelLessRowsNeedAllowMissingLabelsAndStoreNaN) {
  Fixture f;
  auto o = f.apply(
      "price,city,tag,slot,user\n"
      "25,rome,b,1,u2\n"
      "40,paris,a,0,u1\n");
  std::string m = ingest_error(o);
  EXPECT_NE(m.find("label column 'click' is not among the input columns"), std::string::npos)
      << m;

  o.allow_missing_labels = true;
  ingest(o);
  Dataset ds = Dataset::open(o.output);
  ASSERT_EQ(ds.rows(), 2u);
  EXPECT_TRUE(std::isnan(ds.f32("click")[0]));
  EXPECT_TRUE(std::isnan(ds.f32("click")[1]));
  EXPECT_EQ(ds.column("click").details["absent"], true);
  EXPECT_FLOAT_EQ(ds.f32("price")[0], 0.5f);
  EXPECT_EQ(ds.columns().front().name, "click");

  // Empty label fields: an error by default, NaN with allow_missing_labels.
  o = f.apply("click,price,city,tag,slot,user\n,25,rome,b,1,u2\n1,40,rome,b,1,u2\n");
  m = ingest_error(o);
  EXPECT_NE(m.find("click: expected a label value"), std::string::npos) << m;
  o.allow_missing_labels = true;
  ingest(o);
  ds = Dataset::open(o.output);
  EXPECT_TRUE(std::isnan(ds.f32("click")[0]));
  EXPECT_EQ(ds.f32("click")[1], 1.0f);
}

TEST(IngestApply, MismatchedColumnsNameTheColumn) {
  Fixture f;
  const std::string header = "click,price,city,tag,slot,user\n";
  const std::string row = "0,25,rome,b,1,u2\n";
  std::string toml = kSchema;

  // Encoding differs (tag hashed in the reference, vocab here).
  auto o = f.apply(header + row);
  o.schema = parse_schema(
      std::string(toml).replace(toml.find("encoding = \"hash\""), 17, "encoding = \"vocab\""),
      "vocab_tag.toml");
  std::string m = ingest_error(o);
  EXPECT_NE(m.find("column 'tag'"), std::string::npos) << m;

  // Hash seed differs.
  o.schema = parse_schema(std::string(toml).replace(toml.find("seed = 7"), 8, "seed = 8"),
                          "seed.toml");
  m = ingest_error(o);
  EXPECT_NE(m.find("column 'tag': hashing differs"), std::string::npos) << m;

  // Role differs (price as a weight).
  std::string weight = toml;
  weight.replace(weight.find("role = \"dense\""), 14, "role = \"weight\"");
  o.schema = parse_schema(weight, "weight.toml");
  m = ingest_error(o);
  EXPECT_NE(m.find("column 'price'"), std::string::npos) << m;

  // An extra input column the reference does not have.
  o = f.apply("click,price,city,tag,slot,user,extra\n0,25,rome,b,1,u2,5\n");
  o.schema = parse_schema(toml + "\n[[column]]\nname = \"extra\"\nrole = \"dense\"\n", "x.toml");
  m = ingest_error(o);
  EXPECT_NE(m.find("column 'extra' is not in the reference dataset"), std::string::npos) << m;

  // A reference column the new rows do not produce.
  o = f.apply("click,price,city,tag,user\n0,25,rome,b,u2\n");
  const std::string no_slot = toml.substr(0, toml.find("[[column]]\nname = \"slot\"")) +
                              toml.substr(toml.find("[[column]]\nname = \"user\""));
  o.schema = parse_schema(no_slot, "no_slot.toml");
  m = ingest_error(o);
  EXPECT_NE(m.find("reference column 'slot'"), std::string::npos) << m;
  EXPECT_FALSE(std::filesystem::exists(o.output));
}

TEST(IngestApply, MissingReferenceOrSchemaIsAnError) {
  Fixture f;
  auto o = f.apply("click,price,city,tag,slot,user\n0,25,rome,b,1,u2\n");
  o.reference = f.dir.file("nope.reco");
  try {
    ingest(o);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(e.message().find("nope.reco"), std::string::npos);
  }
  o.reference.clear();
  std::string m = ingest_error(o);
  EXPECT_NE(m.find("needs a schema"), std::string::npos) << m;
}

}  // namespace
}  // namespace reco
