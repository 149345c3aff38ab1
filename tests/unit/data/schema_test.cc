#include "reco/data/schema.h"

#include <gtest/gtest.h>

#include "reco/core/error.h"
#include "reco/data/presets.h"
#include "testing/testing.h"

namespace reco {
namespace {

std::string parse_error(std::string_view toml, std::string_view source = "s.toml") {
  try {
    parse_schema(toml, source);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kParse) << e.message();
    return e.message();
  }
  ADD_FAILURE() << "expected a parse error for:\n" << toml;
  return {};
}

TEST(Schema, ParsesEverySection) {
  Schema s = parse_schema(R"(
[format]
delimiter = "\t"
header = false
names = ["label", "I{1..3}", "tags", "city", "cell", "ts"]
quote = ""
trim = true
missing = ["", "NA"]
comment = "#"
skip_lines = 2
unmatched = "ignore"

[[column]]
name = "label"
role = "label"
positive = ["yes"]
negative = ["no"]

[[column]]
match = "I*"
role = "dense"
normalizer = "log_median"

[[column]]
name = "tags"
role = "multi_hot"
encoding = "hash"
buckets = 1000
separator = ";"
weighted = true

[[column]]
name = "ts"
role = "timestamp"
format = "%Y-%m-%d"

[[label]]
name = "good"
from = "city"
positive = ["paris"]
domain = ["paris", "rome"]

[[cross]]
name = "city_x_cell"
columns = ["city", "cell"]
buckets = 97
)",
                          "t.toml");
  EXPECT_EQ(s.format.delimiter, "\t");
  EXPECT_FALSE(s.format.header);
  EXPECT_EQ(s.format.names, (std::vector<std::string>{"label", "I1", "I2", "I3", "tags", "city",
                                                      "cell", "ts"}));
  EXPECT_EQ(s.format.quote, '\0');
  EXPECT_TRUE(s.format.trim);
  EXPECT_EQ(s.format.comment, "#");
  EXPECT_EQ(s.format.skip_lines, 2);
  EXPECT_EQ(s.format.unmatched, Unmatched::kIgnore);
  ASSERT_EQ(s.columns.size(), 4u);
  EXPECT_EQ(s.columns[0].label.negative, (std::vector<std::string>{"no"}));
  EXPECT_EQ(s.columns[1].normalizer, "log_median");
  EXPECT_EQ(s.columns[2].role, ColumnRole::kMultiHot);
  EXPECT_EQ(s.columns[2].encoding, Encoding::kHash);
  EXPECT_EQ(s.columns[2].buckets, 1000u);
  EXPECT_EQ(s.columns[2].separator, ";");
  EXPECT_TRUE(s.columns[2].weighted);
  EXPECT_EQ(s.columns[3].time_format, "%Y-%m-%d");
  ASSERT_EQ(s.labels.size(), 1u);
  EXPECT_EQ(s.labels[0].rule.domain.size(), 2u);
  ASSERT_EQ(s.crosses.size(), 1u);
  EXPECT_EQ(s.crosses[0].buckets, 97u);
  EXPECT_EQ(find_column_spec(s, "I2"), 1);
  EXPECT_EQ(find_column_spec(s, "city"), -1);
}

TEST(Schema, UnknownKeysNameKeyFileAndLine) {
  std::string m = parse_error("[format]\ndelimiter = \",\"\nheadr = true\n[[column]]\nname=\"a\"\nrole=\"dense\"\n");
  EXPECT_NE(m.find("s.toml:3:"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown key 'headr'"), std::string::npos) << m;
  m = parse_error("[[column]]\nname = \"a\"\nrole = \"dense\"\nbuckets = 3\n");
  EXPECT_NE(m.find("s.toml:4:"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown key 'buckets'"), std::string::npos) << m;
  m = parse_error("[colums]\nx = 1\n");
  EXPECT_NE(m.find("unknown key 'colums'"), std::string::npos) << m;
}

TEST(Schema, InvalidTomlGivesLineAndColumn) {
  std::string m = parse_error("[format]\ndelimiter = ,\n");
  EXPECT_NE(m.find("s.toml:2:"), std::string::npos) << m;
  EXPECT_NE(m.find("invalid TOML"), std::string::npos) << m;
}

TEST(Schema, SemanticErrors) {
  EXPECT_NE(parse_error("[format]\nheader = false\n[[column]]\nname=\"a\"\nrole=\"dense\"\n")
                .find("needs 'names'"),
            std::string::npos);
  EXPECT_NE(parse_error("[[column]]\nname=\"a\"\nrole=\"categorical\"\nencoding=\"hash\"\n")
                .find("needs 'buckets'"),
            std::string::npos);
  EXPECT_NE(parse_error("[[column]]\nname=\"a\"\nrole=\"sparse\"\n").find("s.toml:3"),
            std::string::npos);
  EXPECT_NE(parse_error("[[column]]\nname=\"a\"\nrole=\"dense\"\nnormalizer=\"minmax\"\n")
                .find("minmax"),
            std::string::npos);
  EXPECT_NE(parse_error("[[column]]\nname=\"a\"\nmatch=\"b*\"\nrole=\"dense\"\n")
                .find("exactly one of"),
            std::string::npos);
  EXPECT_NE(parse_error("[format]\ndelimiter=\",\"\n").find("no [[column]]"), std::string::npos);
}

TEST(Schema, FromFileErrors) {
  reco::testing::TempDir dir;
  try {
    schema_from_file(dir.file("missing.toml"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(e.message().find("missing.toml"), std::string::npos);
  }
  reco::testing::write_file(dir.file("bad.toml"), "[[column]]\nname = \"a\"\nrole = \"dense\"\nfoo = 1\n");
  try {
    schema_from_file(dir.file("bad.toml"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.message().find(dir.file("bad.toml") + ":4:"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("'foo'"), std::string::npos);
  }
  EXPECT_THROW(schema_from_file(dir.path().string()), Error);
}

TEST(Schema, NameRangesAndGlobs) {
  EXPECT_EQ(expand_name_range("C{1..3}"), (std::vector<std::string>{"C1", "C2", "C3"}));
  EXPECT_EQ(expand_name_range("f{2..2}_x"), (std::vector<std::string>{"f2_x"}));
  EXPECT_EQ(expand_name_range("plain"), (std::vector<std::string>{"plain"}));
  EXPECT_EQ(expand_name_range("bad{3..1}"), (std::vector<std::string>{"bad{3..1}"}));
  EXPECT_TRUE(glob_match("C*", "C12"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("a?c*d", "abcxxd"));
  EXPECT_FALSE(glob_match("C*", "I1"));
  EXPECT_FALSE(glob_match("a?c", "ac"));
}

TEST(Presets, EveryPresetParsesAndPrints) {
  auto names = preset_names();
  EXPECT_GE(names.size(), 12u);
  for (const auto& n : names) {
    SCOPED_TRACE(n);
    Schema s = preset_schema(n);
    EXPECT_EQ(s.source, "preset:" + n);
    EXPECT_EQ(s.toml_text, preset_toml(n));
    EXPECT_FALSE(s.columns.empty());
  }
  try {
    preset_toml("criteo");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(e.message().find("criteo-tsv"), std::string::npos);
  }
}

}  // namespace
}  // namespace reco
