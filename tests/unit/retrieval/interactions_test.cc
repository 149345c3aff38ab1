// Interactions CSV round trip and the split of each raw format (tiny fixtures written here):
// row counts, min-rating filter, holdout by time with ties in file order, bad rows counted
// with file:line:field, strict mode.
#include <gtest/gtest.h>

#include "reco/core/error.h"
#include "reco/retrieval/interactions.h"
#include "testing/testing.h"

namespace reco {
namespace {

TEST(Interactions, WriteReadRoundTripSorted) {
  testing::TempDir dir;
  std::vector<Interaction> rows = {{2, 7, 1.5f, 30}, {1, 5, 1.0f, 20}, {2, 8, 1.0f, 10}, {1, 6, 2.0f, 20}};
  write_interactions(dir.file("x.csv"), rows);
  EXPECT_EQ(testing::read_file(dir.file("x.csv")).substr(0, 27), "user,item,weight,timestamp\n");
  const auto back = read_interactions(dir.file("x.csv"));
  ASSERT_EQ(back.size(), 4u);
  // (user, timestamp), ties in file order: user 1 rows keep 5 before 6.
  EXPECT_EQ(back[0].item, 5u);
  EXPECT_EQ(back[1].item, 6u);
  EXPECT_FLOAT_EQ(back[1].weight, 2.0f);
  EXPECT_EQ(back[2].item, 8u);
  EXPECT_EQ(back[3].item, 7u);
  EXPECT_EQ(back[3].timestamp, 30);
}

TEST(Interactions, ReadNamesFileLineField) {
  testing::TempDir dir;
  testing::write_file(dir.file("bad.csv"), "user,item,weight,timestamp\n1,2,1,5\n1,x,1,6\n");
  try {
    read_interactions(dir.file("bad.csv"));
    FAIL() << "expected a parse error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kParse);
    EXPECT_NE(e.message().find("bad.csv:3: field 'item'"), std::string::npos) << e.message();
  }
}

TEST(Split, TmallConcatenatesTrainFilesWithRowIndexTime) {
  testing::TempDir dir;
  testing::write_file(dir.file("buy.txt"), "0 7\n0 1\n1 3\n");
  testing::write_file(dir.file("collect.txt"), "0 9\n2 3\n");
  testing::write_file(dir.file("test.txt"), "0 4\n1 2\n\n");
  SplitSpec spec;
  spec.format = SplitFormat::kTmall;
  spec.train_files = {dir.file("buy.txt"), dir.file("collect.txt")};
  spec.test_files = {dir.file("test.txt")};
  const SplitResult r = split_interactions(spec);
  ASSERT_EQ(r.train.size(), 5u);
  EXPECT_EQ(r.train[0].item, 7u);
  EXPECT_EQ(r.train[1].item, 1u);
  EXPECT_EQ(r.train[2].item, 9u);  // collect rows come after buy rows of the same user
  EXPECT_EQ(r.train[2].timestamp, 3);
  EXPECT_EQ(r.report.train.users, 3u);
  EXPECT_EQ(r.report.train.items, 4u);
  EXPECT_EQ(r.test.size(), 2u);
  EXPECT_EQ(r.report.files.back().blank, 1u);
  EXPECT_EQ(r.report.bad_rows(), 0u);
}

TEST(Split, MovielensMinRatingAndBadRows) {
  testing::TempDir dir;
  testing::write_file(dir.file("u1.base"), "1\t10\t5\t100\n1\t11\t3\t101\n2\t10\t4\t99\n2\tzz\t4\t98\n3\t1\n");
  testing::write_file(dir.file("u1.test"), "1\t12\t4\t200\n2\t13\t2\t201\n");
  SplitSpec spec;
  spec.format = SplitFormat::kMovielens;
  spec.train_files = {dir.file("u1.base")};
  spec.test_files = {dir.file("u1.test")};
  spec.min_rating = 4;
  const SplitResult r = split_interactions(spec);
  EXPECT_EQ(r.train.size(), 2u);
  EXPECT_EQ(r.train[1].timestamp, 99);
  EXPECT_EQ(r.report.files[0].below_min_rating, 1u);
  EXPECT_EQ(r.report.files[0].bad, 2u);
  ASSERT_EQ(r.report.errors.size(), 2u);
  EXPECT_NE(r.report.errors[0].find("u1.base:4: field 'item'"), std::string::npos) << r.report.errors[0];
  EXPECT_NE(r.report.errors[1].find("u1.base:5: field 'fields'"), std::string::npos) << r.report.errors[1];
  EXPECT_EQ(r.test.size(), 1u);
  EXPECT_EQ(r.report.files[1].below_min_rating, 1u);

  spec.strict = true;
  EXPECT_THROW(split_interactions(spec), Error);
}

TEST(Split, TaobaoHoldsOutLastByTimeTiesByFileOrder) {
  testing::TempDir dir;
  // user 1: times 5, 9, 9 (the later 9 in file order is held out); user 2: one row -> train only.
  testing::write_file(dir.file("ub.csv"),
                      "1,100,1,pv,9\n1,101,1,pv,5\n2,100,1,buy,3\n1,102,1,cart,9\n1,103,1,pv,notatime\n");
  SplitSpec spec;
  spec.format = SplitFormat::kTaobao;
  spec.input = dir.file("ub.csv");
  spec.holdout_last = 1;
  const SplitResult r = split_interactions(spec);
  ASSERT_EQ(r.test.size(), 1u);
  EXPECT_EQ(r.test[0].user, 1u);
  EXPECT_EQ(r.test[0].item, 102u);
  ASSERT_EQ(r.train.size(), 3u);
  EXPECT_EQ(r.train[0].item, 101u);
  EXPECT_EQ(r.train[1].item, 100u);
  EXPECT_EQ(r.report.users_train_only, 1u);
  EXPECT_EQ(r.report.bad_rows(), 1u);
  EXPECT_NE(r.report.errors[0].find("ub.csv:5: field 'timestamp'"), std::string::npos) << r.report.errors[0];
}

TEST(Split, CsvWithHeaderAndWeights) {
  testing::TempDir dir;
  testing::write_file(dir.file("a.csv"), "user,item,weight,timestamp\n1,2,0.5,10\n1,3,2,5\n");
  testing::write_file(dir.file("b.csv"), "user,item\n1,4\n");
  SplitSpec spec;
  spec.format = SplitFormat::kCsv;
  spec.train_files = {dir.file("a.csv")};
  spec.test_files = {dir.file("b.csv")};
  const SplitResult r = split_interactions(spec);
  ASSERT_EQ(r.train.size(), 2u);
  EXPECT_EQ(r.train[0].item, 3u);
  EXPECT_FLOAT_EQ(r.train[1].weight, 0.5f);
  EXPECT_EQ(r.report.files[0].header, 1u);
  ASSERT_EQ(r.test.size(), 1u);
  EXPECT_EQ(r.test[0].timestamp, 0);
  EXPECT_THROW(parse_split_format("parquet"), Error);
}

}  // namespace
}  // namespace reco
