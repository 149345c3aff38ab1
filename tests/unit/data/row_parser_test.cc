#include "reco/data/row_parser.h"

#include <gtest/gtest.h>

#include <cmath>

#include "reco/core/error.h"
#include "reco/features/hashing.h"

namespace reco {
namespace {

constexpr const char* kSchema = R"(
[format]
delimiter = ","
header = true
missing = ["", "NA"]

[[column]]
name = "y"
role = "label"
positive = ["yes"]
negative = ["no"]

[[column]]
name = "x"
role = "dense"

[[column]]
name = "cat"
role = "categorical"

[[column]]
name = "h"
role = "categorical"
encoding = "hash"
buckets = 16

[[column]]
name = "n"
role = "categorical"
encoding = "identity"

[[column]]
name = "tags"
role = "multi_hot"
separator = "|"
weighted = true

[[column]]
name = "user"
role = "user_id"

[[column]]
name = "pos"
role = "position"

[[column]]
name = "ts"
role = "timestamp"
format = "yymmddhh"
hour_of_day = "ts_hour"

[[column]]
name = "kind"
role = "ignore"

[[label]]
name = "is_b"
from = "kind"
positive = ["b"]
domain = ["a", "b"]

[[cross]]
name = "cat_x_h"
columns = ["cat", "h"]
buckets = 8
)";

const std::vector<std::string> kNames = {"y",    "x",    "cat", "h",  "n",
                                         "tags", "user", "pos", "ts", "kind"};

const OutputColumn& col(const RowParser& p, std::string_view name) {
  for (const auto& o : p.outputs()) {
    if (o.name == name) return o;
  }
  throw std::runtime_error("no column " + std::string(name));
}

TEST(RowParser, ParsesEveryRoleAndOrdersLabelsFirst) {
  Schema s = parse_schema(kSchema, "t.toml");
  RowParser p(s, kNames, "data.csv:1");
  std::vector<std::string> order;
  for (const auto& o : p.outputs()) order.push_back(o.name);
  EXPECT_EQ(order, (std::vector<std::string>{"y", "is_b", "x", "cat", "h", "n", "tags", "user",
                                             "pos", "ts", "ts_hour", "cat_x_h"}));
  RowIssue issue;
  ASSERT_TRUE(p.parse("yes,1.5,red,k1,7,a:0.5|b:2,u9,3,14102100,b", issue)) << issue.message;
  ASSERT_TRUE(p.parse("no,NA,,k2,0,,u9,,14102223,a", issue)) << issue.message;
  EXPECT_EQ(p.rows(), 2u);
  EXPECT_EQ(col(p, "y").f32, (std::vector<float>{1, 0}));
  EXPECT_EQ(col(p, "is_b").f32, (std::vector<float>{1, 0}));
  EXPECT_EQ(col(p, "x").f32[0], 1.5f);
  EXPECT_TRUE(std::isnan(col(p, "x").f32[1]));
  EXPECT_EQ(col(p, "cat").vocab.size(), 2u);  // "red" and "" (missing)
  EXPECT_EQ(col(p, "cat").vocab.token(col(p, "cat").u32[1]), "");
  EXPECT_EQ(col(p, "h").u32[0], hash_bucket("k1", 16, 0));
  EXPECT_EQ(col(p, "n").u32, (std::vector<uint32_t>{7, 0}));
  EXPECT_EQ(col(p, "n").max_id, 7u);
  EXPECT_EQ(col(p, "tags").offsets, (std::vector<uint64_t>{0, 2, 2}));
  EXPECT_EQ(col(p, "tags").weights, (std::vector<float>{0.5f, 2.0f}));
  EXPECT_EQ(col(p, "user").u32[0], col(p, "user").u32[1]);
  EXPECT_EQ(col(p, "pos").i32, (std::vector<int32_t>{3, 0}));
  EXPECT_EQ(col(p, "ts").i64, (std::vector<int64_t>{1413849600, 1413849600 + 86400 + 23 * 3600}));
  EXPECT_EQ(col(p, "ts_hour").u32, (std::vector<uint32_t>{0, 23}));
  uint64_t hashes[2] = {hash_bytes("red", 0), hash_bytes("k1", 0)};
  EXPECT_EQ(col(p, "cat_x_h").u32[0], hash_cross(hashes, 8, 0));
}

struct BadCase {
  const char* line;
  const char* reason;
  uint32_t column;
  const char* fragment;
};

TEST(RowParser, RejectsBadRowsWithColumnAndFieldAndLeavesNoTrace) {
  Schema s = parse_schema(kSchema, "t.toml");
  RowParser p(s, kNames, "data.csv:1");
  const BadCase cases[] = {
      {"yes,1.5,red,k1,7,a:1,u9,3,14102100", "field_count", 35, "expected 10 fields, got 9"},
      {"yes,1.5,red,k1,7,a:1,u9,3,14102100,a,extra", "field_count", 38, "got 11"},
      {"yes,abc,red,k1,7,a:1,u9,3,14102100,a", "dense", 5, "x: expected a number, got 'abc'"},
      {"maybe,1,red,k1,7,a:1,u9,3,14102100,a", "label", 1, "y: unknown label value 'maybe'"},
      {"yes,1,red,k1,7,a:1,u9,3,14102100,c", "label", 34, "is_b: unknown label value 'c'"},
      {",1,red,k1,7,a:1,u9,3,14102100,a", "label", 1, "y: expected a label value"},
      {"yes,1,red,k1,-3,a:1,u9,3,14102100,a", "id", 14, "n: expected a non-negative integer"},
      {"yes,1,red,k1,7,a:1,u9,3,14132100,a", "timestamp", 25, "ts: expected a timestamp"},
      {"yes,1,red,k1,7,a:1,u9,x,14102100,a", "position", 23, "pos: expected an integer"},
      {"yes,1,red,k1,7,a:1|b,u9,3,14102100,a", "multi_hot", 20, "tags: expected 'value:weight'"},
      {"yes,1,red,k1,7,a:1,,3,14102100,a", "id", 20, "user: expected an id"},
      {"yes,1,\"red,k1,7,a:1,u9,3,14102100,a", "quote", 7, "unterminated"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    RowIssue issue;
    EXPECT_FALSE(p.parse(c.line, issue));
    EXPECT_EQ(issue.reason, c.reason);
    EXPECT_EQ(issue.column, c.column);
    EXPECT_NE(issue.message.find(c.fragment), std::string::npos) << issue.message;
  }
  EXPECT_EQ(p.rows(), 0u);
  for (const auto& o : p.outputs()) {
    EXPECT_TRUE(o.f32.empty() && o.u32.empty() && o.values.empty()) << o.name;
    EXPECT_EQ(o.vocab.size(), 0u) << o.name;
  }
}

TEST(RowParser, PlanErrors) {
  Schema s = parse_schema(kSchema, "t.toml");
  auto names = kNames;
  names.push_back("surprise");
  try {
    RowParser p(s, names, "data.csv:1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("data.csv:1: input column 'surprise' matches no [[column]]"),
              std::string::npos)
        << e.message();
  }
  names = kNames;
  names.pop_back();  // "kind" gone: the [[column]] and the [[label]] refer to it
  EXPECT_THROW(RowParser(s, names, "data.csv:1"), Error);
}

TEST(RowParser, RowFilterDropsWithoutCommitting) {
  Schema s = parse_schema(kSchema, "t.toml");
  RowParser p(s, kNames, "x");
  p.set_row_filter([](float y) { return y != 0.0f; }, p.label_output(""));
  RowIssue issue;
  ASSERT_TRUE(p.parse("no,1,red,k1,7,,u9,3,14102100,a", issue));
  EXPECT_TRUE(p.last_dropped());
  ASSERT_TRUE(p.parse("yes,1,red,k1,7,,u9,3,14102100,a", issue));
  EXPECT_FALSE(p.last_dropped());
  EXPECT_EQ(p.rows(), 1u);
  EXPECT_EQ(col(p, "cat").vocab.count(0), 1u);
}

TEST(RowParser, NumbersAndTimestamps) {
  double d = 0;
  EXPECT_TRUE(parse_double("+1e3", d));
  EXPECT_EQ(d, 1000.0);
  EXPECT_FALSE(parse_double("1.5x", d));
  EXPECT_FALSE(parse_double("", d));
  int64_t v = 0;
  EXPECT_TRUE(parse_int64("-12", v));
  EXPECT_FALSE(parse_int64("12.5", v));
  std::string scratch;
  EXPECT_TRUE(parse_timestamp("1511544070", "unix", scratch, v));
  EXPECT_EQ(v, 1511544070);
  EXPECT_TRUE(parse_timestamp("2017-11-25", "%Y-%m-%d", scratch, v));
  EXPECT_EQ(v, 1511568000);
  EXPECT_FALSE(parse_timestamp("2017-11-25x", "%Y-%m-%d", scratch, v));
  EXPECT_FALSE(parse_timestamp("141021", "yymmddhh", scratch, v));
}

}  // namespace
}  // namespace reco
