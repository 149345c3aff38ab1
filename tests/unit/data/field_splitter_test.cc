#include "reco/data/field_splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace reco {
namespace {

std::vector<std::string> texts(const std::vector<Field>& fields) {
  std::vector<std::string> out;
  for (const auto& f : fields) out.emplace_back(f.text);
  return out;
}

std::vector<uint32_t> columns(const std::vector<Field>& fields) {
  std::vector<uint32_t> out;
  for (const auto& f : fields) out.push_back(f.column);
  return out;
}

using V = std::vector<std::string>;

TEST(FieldSplitter, SingleCharDelimitersKeepEmptyFields) {
  std::vector<Field> f;
  SplitError err;
  FieldSplitter comma(SplitOptions{",", '"', false});
  ASSERT_TRUE(comma.split("a,,b,", f, err));
  EXPECT_EQ(texts(f), (V{"a", "", "b", ""}));
  EXPECT_EQ(columns(f), (std::vector<uint32_t>{1, 3, 4, 6}));
  FieldSplitter tab(SplitOptions{"\\t", '\0', false});
  ASSERT_TRUE(tab.split("1\t\t3", f, err));
  EXPECT_EQ(texts(f), (V{"1", "", "3"}));
  FieldSplitter pipe(SplitOptions{"|", '\0', false});
  ASSERT_TRUE(pipe.split("1|Toy Story (1995)|01-Jan-1995||http://x", f, err));
  EXPECT_EQ(f.size(), 5u);
  EXPECT_EQ(f[1].text, "Toy Story (1995)");
  ASSERT_TRUE(comma.split("", f, err));
  EXPECT_EQ(texts(f), (V{""}));
}

TEST(FieldSplitter, MultiCharDelimiterAndTrim) {
  std::vector<Field> f;
  SplitError err;
  FieldSplitter adult(SplitOptions{", ", '\0', false});
  ASSERT_TRUE(adult.split("39, State-gov, 77516, <=50K", f, err));
  EXPECT_EQ(texts(f), (V{"39", "State-gov", "77516", "<=50K"}));
  EXPECT_EQ(columns(f), (std::vector<uint32_t>{1, 5, 16, 23}));
  FieldSplitter trimmed(SplitOptions{",", '"', true});
  ASSERT_TRUE(trimmed.split(" 38, Private ,\t- 50000.", f, err));
  EXPECT_EQ(texts(f), (V{"38", "Private", "- 50000."}));
  EXPECT_EQ(columns(f), (std::vector<uint32_t>{2, 6, 16}));
}

TEST(FieldSplitter, WhitespaceRuns) {
  std::vector<Field> f;
  SplitError err;
  FieldSplitter ws(SplitOptions{"whitespace", '\0', false});
  ASSERT_TRUE(ws.split("  12 \t 7   0.5 ", f, err));
  EXPECT_EQ(texts(f), (V{"12", "7", "0.5"}));
  EXPECT_EQ(columns(f), (std::vector<uint32_t>{3, 8, 12}));
  ASSERT_TRUE(ws.split("   ", f, err));
  EXPECT_TRUE(f.empty());
}

TEST(FieldSplitter, Rfc4180Quoting) {
  std::vector<Field> f;
  SplitError err;
  FieldSplitter csv(SplitOptions{",", '"', false});
  ASSERT_TRUE(csv.split(R"(1,"a,b","say ""hi""",,"")", f, err));
  EXPECT_EQ(texts(f), (V{"1", "a,b", R"(say "hi")", "", ""}));
  EXPECT_EQ(f[1].column, 4u);  // first byte inside the quotes
  ASSERT_TRUE(csv.split(R"("x",)", f, err));
  EXPECT_EQ(texts(f), (V{"x", ""}));
  // Several escaped fields on one line: views into the scratch buffer must all stay valid.
  ASSERT_TRUE(csv.split(R"("a""1","b""2","c""3")", f, err));
  EXPECT_EQ(texts(f), (V{"a\"1", "b\"2", "c\"3"}));
}

TEST(FieldSplitter, QuotingErrorsReportTheColumn) {
  std::vector<Field> f;
  SplitError err;
  FieldSplitter csv(SplitOptions{",", '"', false});
  EXPECT_FALSE(csv.split(R"(1,2,"open)", f, err));
  EXPECT_EQ(err.column, 5u);
  EXPECT_NE(err.message.find("unterminated"), std::string::npos);
  EXPECT_FALSE(csv.split(R"("a"b,c)", f, err));
  EXPECT_EQ(err.column, 4u);
  FieldSplitter off(SplitOptions{",", '\0', false});
  ASSERT_TRUE(off.split(R"("a,b")", f, err));
  EXPECT_EQ(texts(f), (V{"\"a", "b\""}));
}

TEST(FieldSplitter, NormalizeDelimiter) {
  EXPECT_EQ(normalize_delimiter("\\t"), "\t");
  EXPECT_EQ(normalize_delimiter("tab"), "\t");
  EXPECT_EQ(normalize_delimiter("space"), "whitespace");
  EXPECT_EQ(normalize_delimiter(", "), ", ");
  EXPECT_ANY_THROW(normalize_delimiter(""));
}

}  // namespace
}  // namespace reco
