#include "reco/data/ingest.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>

#include "reco/core/error.h"
#include "reco/data/dataset.h"
#include "reco/data/presets.h"
#include "testing/testing.h"

namespace reco {
namespace {

using reco::testing::TempDir;
using reco::testing::write_file;

constexpr const char* kSchema = R"(
[format]
delimiter = ","
header = true
comment = "#"

[[column]]
name = "click"
role = "label"

[[column]]
name = "price"
role = "dense"

[[column]]
name = "city"
role = "categorical"
min_count = 2

[[column]]
name = "user"
role = "user_id"

[[column]]
name = "ts"
role = "timestamp"
)";

IngestOptions options_for(const TempDir& dir, const std::string& csv) {
  write_file(dir.file("in.csv"), csv);
  IngestOptions o;
  o.inputs = {dir.file("in.csv")};
  o.schema = parse_schema(kSchema, "test.toml");
  o.output = dir.file("out.reco");
  o.ctx.quiet = true;
  return o;
}

std::string ingest_error(const IngestOptions& o) {
  try {
    ingest(o);
  } catch (const Error& e) {
    return e.message();
  }
  ADD_FAILURE() << "expected an error";
  return {};
}

TEST(Ingest, WritesColumnsVocabulariesStatsAndMeta) {
  TempDir dir;
  auto o = options_for(dir,
                       "click,price,city,user,ts\n"
                       "# a comment line\n"
                       "1,10,paris,u1,100\n"
                       "\n"
                       "0,,paris,u2,200\n"
                       "0,30,rome,u1,300\n");
  IngestReport r = ingest(o);
  EXPECT_EQ(r.lines_read, 6u);
  EXPECT_EQ(r.header_lines, 1u);
  EXPECT_EQ(r.comment_lines, 1u);
  EXPECT_EQ(r.blank_lines, 1u);
  EXPECT_EQ(r.rows_read, 3u);
  EXPECT_EQ(r.rows_written, 3u);
  Dataset ds = Dataset::open(o.output);
  ASSERT_EQ(ds.rows(), 3u);
  EXPECT_EQ(ds.labels(), (std::vector<std::string>{"click"}));
  auto click = ds.f32("click");
  EXPECT_EQ(std::vector<float>(click.begin(), click.end()), (std::vector<float>{1, 0, 0}));
  // zscore over {10, 30}: mean 20, std 10; the missing value maps to 0.
  auto price = ds.f32("price");
  EXPECT_FLOAT_EQ(price[0], -1.0f);
  EXPECT_FLOAT_EQ(price[1], 0.0f);
  EXPECT_FLOAT_EQ(price[2], 1.0f);
  EXPECT_EQ(ds.column("price").details["stats"]["missing"], 1);
  // min_count 2: "rome" (seen once) is out of vocabulary.
  auto city = ds.u32("city");
  EXPECT_EQ(ds.vocabulary("city").token(city[0]), "paris");
  EXPECT_EQ(city[2], Vocabulary::kOov);
  EXPECT_EQ(ds.column("city").cardinality, 2u);
  auto user = ds.u32("user");
  EXPECT_EQ(user[0], user[2]);
  EXPECT_NE(user[0], user[1]);
  auto ts = ds.i64("ts");
  EXPECT_EQ(ts[2], 300);
  EXPECT_EQ(ds.extra()["schema_toml"], std::string(kSchema));
  EXPECT_EQ(ds.extra()["ingest"]["comment_lines"], 1);
}

TEST(Ingest, StrictErrorsNameFileLineColumnAndField) {
  TempDir dir;
  const std::string header = "click,price,city,user,ts\n";
  auto o = options_for(dir, header + "1,10,paris,u1,100\n0,12x,rome,u2,5\n");
  std::string m = ingest_error(o);
  EXPECT_NE(m.find(dir.file("in.csv") + ":3:3: price: expected a number, got '12x'"),
            std::string::npos)
      << m;
  o = options_for(dir, header + "1,10,paris,u1\n");
  m = ingest_error(o);
  EXPECT_NE(m.find("in.csv:2:14: expected 5 fields, got 4"), std::string::npos) << m;
  o = options_for(dir, header + "yes,10,paris,u1,100\n");
  m = ingest_error(o);
  EXPECT_NE(m.find("in.csv:2:1: click: expected a numeric label, got 'yes'"), std::string::npos)
      << m;
  o = options_for(dir, header + "1,10,paris,u1,noon\n");
  m = ingest_error(o);
  EXPECT_NE(m.find("in.csv:2:15: ts: expected a timestamp"), std::string::npos) << m;
  EXPECT_FALSE(std::filesystem::exists(o.output));
}

TEST(Ingest, UnknownLabelValueListsTheExpectedOnes) {
  TempDir dir;
  write_file(dir.file("t.csv"), "1,2,3,pv,10\n1,2,3,click,11\n");
  IngestOptions o;
  o.inputs = {dir.file("t.csv")};
  o.schema = preset_schema("taobao");
  o.output = dir.file("t.reco");
  o.ctx.quiet = true;
  std::string m = ingest_error(o);
  EXPECT_NE(m.find("t.csv:2:7: pv: unknown label value 'click' (expected one of 'pv', 'fav', "
                   "'cart', 'buy')"),
            std::string::npos)
      << m;
}

TEST(Ingest, SkipModeCountsReasonsAndKeepsExamples) {
  TempDir dir;
  auto o = options_for(dir,
                       "click,price,city,user,ts\n"
                       "1,10,paris,u1,100\n"
                       "0,abc,paris,u1,100\n"
                       "0,1,paris\n"
                       "0,2,rome,u3,1\n"
                       "0,1,paris,,100\n"
                       "x,1,paris,u1,100\n");
  o.on_error = OnError::kSkip;
  o.max_error_examples = 2;
  IngestReport r = ingest(o);
  EXPECT_EQ(r.rows_read, 6u);
  EXPECT_EQ(r.rows_written, 2u);
  EXPECT_EQ(r.rows_skipped, 4u);
  EXPECT_EQ(r.skip_reasons.at("dense"), 1u);
  EXPECT_EQ(r.skip_reasons.at("field_count"), 1u);
  EXPECT_EQ(r.skip_reasons.at("id"), 1u);
  EXPECT_EQ(r.skip_reasons.at("label"), 1u);
  ASSERT_EQ(r.error_examples.size(), 2u);
  EXPECT_NE(r.error_examples[0].find("in.csv:3:3: price"), std::string::npos);
  Dataset ds = Dataset::open(o.output);
  EXPECT_EQ(ds.rows(), 2u);
  EXPECT_EQ(ds.extra()["ingest"]["rows_skipped"], 4);
  // A skipped row leaves no trace in vocabularies: "paris" counted once, "rome" once.
  EXPECT_EQ(ds.vocabulary("city").size(), 1u);
}

TEST(Ingest, EmptyMissingAndHeaderOnlyInputs) {
  TempDir dir;
  auto o = options_for(dir, "");
  std::string m = ingest_error(o);
  EXPECT_NE(m.find("in.csv: empty file"), std::string::npos) << m;
  o.inputs = {dir.file("absent.csv")};
  try {
    ingest(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(e.message().find("absent.csv"), std::string::npos);
  }
  o = options_for(dir, "click,price,city,user,ts\n");
  m = ingest_error(o);
  EXPECT_NE(m.find("no data rows"), std::string::npos) << m;
}

TEST(Ingest, BadGzipStopsWithFileAndLine) {
  TempDir dir;
  std::string text = "click,price,city,user,ts\n";
  for (int i = 0; i < 40000; ++i) text += "1," + std::to_string(i) + ",c" + std::to_string(i % 97) + ",u1,5\n";
  uLongf cap = compressBound(text.size()) + 64;
  std::string gz(cap, '\0');
  // gzip framing via deflateInit2 (windowBits 15+16).
  z_stream zs{};
  ASSERT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(text.data());
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(gz.data());
  zs.avail_out = static_cast<uInt>(gz.size());
  ASSERT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  gz.resize(zs.total_out);
  deflateEnd(&zs);
  auto o = options_for(dir, "");
  write_file(dir.file("in.csv.gz"), gz.substr(0, gz.size() * 2 / 3));
  o.inputs = {dir.file("in.csv.gz")};
  std::string m = ingest_error(o);
  EXPECT_NE(m.find("in.csv.gz:"), std::string::npos) << m;
  EXPECT_NE(m.find("bad gzip stream"), std::string::npos) << m;
  // The whole stream ingests fine.
  write_file(dir.file("in.csv.gz"), gz);
  EXPECT_EQ(ingest(o).rows_written, 40000u);
}

TEST(Ingest, DownsamplingKeepsPositivesAndRecordsAlpha) {
  TempDir dir;
  std::string text = "click,price,city,user,ts\n";
  // 5000 rows: more than the 4096 the builders are sized from.
  for (int i = 0; i < 5000; ++i) text += (i % 10 == 0 ? "1," : "0,") + std::to_string(i) + ",c,u,1\n";
  auto o = options_for(dir, text);
  o.downsample_alpha = 0.25;
  IngestReport r = ingest(o);
  EXPECT_EQ(r.negatives_seen, 4500u);
  EXPECT_GT(r.negatives_kept, 950u);   // expected 1125, sd ~29
  EXPECT_LT(r.negatives_kept, 1300u);
  EXPECT_EQ(r.rows_written, 500u + r.negatives_kept);
  Dataset ds = Dataset::open(o.output);
  EXPECT_DOUBLE_EQ(ds.extra()["downsampling"]["alpha"].get<double>(), 0.25);
  EXPECT_EQ(ds.extra()["downsampling"]["label"], "click");
  double positives = 0;
  for (float y : ds.f32("click")) positives += y;
  EXPECT_EQ(positives, 500.0);
  // Same seed, same rows.
  o.output = dir.file("again.reco");
  EXPECT_EQ(ingest(o).negatives_kept, r.negatives_kept);
}

TEST(Ingest, SkipLinesAndMultipleInputsWithHeaders) {
  TempDir dir;
  write_file(dir.file("a.csv"), "generated by x\nversion 2\nid,v\n1,0.5\n2,1.5\n");
  write_file(dir.file("b.csv"), "generated by y\nversion 2\nid,v\n3,2.5\n");
  write_file(dir.file("c.csv"), "generated by z\nversion 2\nid,w\n3,2.5\n");
  IngestOptions o;
  o.inputs = {dir.file("a.csv"), dir.file("b.csv")};
  o.schema = parse_schema("[format]\nskip_lines = 2\n[[column]]\nname = \"id\"\nrole = \"item_id\"\n"
                          "[[column]]\nname = \"v\"\nrole = \"dense\"\nnormalizer = \"none\"\n",
                          "s.toml");
  o.output = dir.file("o.reco");
  o.ctx.quiet = true;
  IngestReport r = ingest(o);
  EXPECT_EQ(r.skipped_lines, 4u);
  EXPECT_EQ(r.header_lines, 2u);
  EXPECT_EQ(r.rows_written, 3u);
  EXPECT_FLOAT_EQ(Dataset::open(o.output).f32("v")[2], 2.5f);
  o.inputs = {dir.file("a.csv"), dir.file("c.csv")};
  std::string m = ingest_error(o);
  EXPECT_NE(m.find("c.csv:3: header differs"), std::string::npos) << m;
}

TEST(Ingest, SplitIsStored) {
  TempDir dir;
  std::string text = "click,price,city,user,ts\n";
  for (int i = 0; i < 200; ++i) {
    text += "0," + std::to_string(i) + ",c,u" + std::to_string(i % 10) + "," + std::to_string(i) + "\n";
  }
  auto o = options_for(dir, text);
  o.split = "leave-last-out";
  ingest(o);
  Dataset ds = Dataset::open(o.output);
  auto split = ds.split();
  ASSERT_EQ(split.size(), 200u);
  size_t test = 0;
  for (auto s : split) test += s == 2;
  EXPECT_EQ(test, 10u);  // one per user
  EXPECT_EQ(ds.extra()["split"], "leave-last-out:1");
}

TEST(Ingest, QuotedCsvWhitespaceEdgesAndMultiCharDelimiter) {
  TempDir dir;
  write_file(dir.file("q.csv"), "id,name,score\n1,\"Smith, J\",\"2.5\"\n2,\"say \"\"hi\"\"\",3\n");
  IngestOptions o;
  o.inputs = {dir.file("q.csv")};
  o.schema = parse_schema(R"(
[[column]]
name = "id"
role = "item_id"
[[column]]
name = "name"
role = "categorical"
[[column]]
name = "score"
role = "label"
)",
                          "q.toml");
  o.output = dir.file("q.reco");
  o.ctx.quiet = true;
  ingest(o);
  Dataset q = Dataset::open(o.output);
  EXPECT_EQ(q.vocabulary("name").token(q.u32("name")[0]), "Smith, J");
  EXPECT_EQ(q.vocabulary("name").token(q.u32("name")[1]), "say \"hi\"");
  EXPECT_FLOAT_EQ(q.f32("score")[0], 2.5f);

  write_file(dir.file("e.txt"), "0 7\n3\t\t1\n  12   5  \n");
  o.inputs = {dir.file("e.txt")};
  o.schema = preset_schema("edges");
  o.output = dir.file("e.reco");
  ingest(o);
  Dataset e = Dataset::open(o.output);
  EXPECT_EQ(std::vector<uint32_t>(e.u32("user_id").begin(), e.u32("user_id").end()),
            (std::vector<uint32_t>{0, 3, 12}));
  EXPECT_EQ(e.column("item_id").cardinality, 8u);

  write_file(dir.file("a.txt"), "|1x3 Cross validator\n"
                                "25, Private, 226802, 11th, 7, Never-married, Machine-op-inspct, "
                                "Own-child, Black, Male, 0, 0, 40, United-States, <=50K.\n"
                                "38, ?, 89814, HS-grad, 9, Married-civ-spouse, Farming-fishing, "
                                "Husband, White, Male, 0, 0, 50, United-States, >50K.\n");
  o.inputs = {dir.file("a.txt")};
  o.schema = preset_schema("adult");
  o.output = dir.file("a.reco");
  IngestReport r = ingest(o);
  EXPECT_EQ(r.comment_lines, 1u);
  Dataset a = Dataset::open(o.output);
  EXPECT_EQ(a.labels(), (std::vector<std::string>{"income", "never_married"}));
  EXPECT_EQ(a.f32("income")[1], 1.0f);
  EXPECT_EQ(a.f32("never_married")[0], 1.0f);
  EXPECT_FALSE(a.has("marital-status"));
  EXPECT_EQ(a.vocabulary("workclass").token(a.u32("workclass")[1]), "");  // "?" = missing
}

}  // namespace
}  // namespace reco
