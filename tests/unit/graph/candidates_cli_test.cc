// `reco candidates` end to end: build a graph and a co-occurrence file from an edge CSV and
// from an ingested dataset, query both, JSON output, and errors that name the column/file.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "testing/testing.h"

namespace reco {
namespace {

std::pair<int, std::string> reco(const std::string& args) {
  return testing::run_command(testing::reco_binary() + " " + args + " 2>&1");
}

std::string events_csv() {
  // user,item,category,behavior,timestamp (Taobao UserBehavior layout): two users whose
  // sessions share items 10 and 11; user 3 adds 12 an hour later (a second session).
  return "1,10,1,pv,1000\n1,11,1,pv,1100\n1,12,1,pv,1200\n"
         "2,10,1,pv,1000\n2,11,1,pv,1050\n"
         "3,10,1,pv,1000\n3,13,1,pv,1010\n3,12,1,pv,9000\n3,14,1,pv,9100\n";
}

TEST(CandidatesCli, DatasetGraphCoocAndQueries) {
  testing::TempDir dir;
  testing::write_file(dir.file("ub.csv"), events_csv());
  auto [rc0, out0] = reco("ingest -f taobao " + dir.file("ub.csv") + " -o " + dir.file("ub.ds") + " --quiet");
  ASSERT_EQ(rc0, 0) << out0;

  auto [rc1, out1] = reco("candidates build graph --dataset " + dir.file("ub.ds") +
                          " --left user_id --right item_id -o " + dir.file("g.graph") + " --json");
  ASSERT_EQ(rc1, 0) << out1;
  const auto j1 = nlohmann::json::parse(out1.substr(out1.find('{')));
  EXPECT_EQ(j1["report"]["edges"], 9);
  EXPECT_EQ(j1["report"]["right_nodes"], 5);

  auto [rc2, out2] = reco("candidates query --graph " + dir.file("g.graph") +
                          " --items 13 --steps 20000 --k 3 --json");
  ASSERT_EQ(rc2, 0) << out2;
  const auto j2 = nlohmann::json::parse(out2.substr(out2.find('{')));
  ASSERT_EQ(j2["candidates"].size(), 3u);
  // From 13 the walk reaches only user 3's items and, through 10, users 1 and 2; 13 itself is excluded.
  for (const auto& c : j2["candidates"]) EXPECT_NE(c["item"], 13);
  EXPECT_GT(j2["steps_per_second"].get<double>(), 0.0);

  auto [rc3, out3] = reco("candidates build cooc --dataset " + dir.file("ub.ds") +
                          " --left user_id --right item_id --session-gap 1800 --timestamp timestamp -o " +
                          dir.file("c.cooc") + " --json");
  ASSERT_EQ(rc3, 0) << out3;
  const auto j3 = nlohmann::json::parse(out3.substr(out3.find('{')));
  EXPECT_EQ(j3["sessions"], 4);

  auto [rc4, out4] = reco("candidates query --cooc " + dir.file("c.cooc") + " --items 10 --k 5 --json");
  ASSERT_EQ(rc4, 0) << out4;
  const auto j4 = nlohmann::json::parse(out4.substr(out4.find('{')));
  ASSERT_GE(j4["candidates"].size(), 2u);
  EXPECT_EQ(j4["candidates"][0]["item"], 11);  // 10 and 11 share two sessions

  // Errors name what is missing.
  auto [rc5, out5] = reco("candidates build graph --dataset " + dir.file("ub.ds") +
                          " --left board --right item_id -o " + dir.file("x.graph"));
  EXPECT_NE(rc5, 0);
  EXPECT_NE(out5.find("board"), std::string::npos) << out5;
  auto [rc6, out6] = reco("candidates query --graph " + dir.file("nope.graph") + " --items 1");
  EXPECT_NE(rc6, 0);
  EXPECT_NE(out6.find("nope.graph"), std::string::npos) << out6;
}

TEST(CandidatesCli, EdgeCsvGraphTextOutput) {
  testing::TempDir dir;
  testing::write_file(dir.file("e.csv"), "1,10\n1,11\n2,10\n2,11\n2,12\n3,12\n3,13\n");
  auto [rc1, out1] = reco("candidates build graph --edges " + dir.file("e.csv") + " --max-degree 2 -o " +
                          dir.file("g.graph"));
  ASSERT_EQ(rc1, 0) << out1;
  EXPECT_NE(out1.find("left nodes over degree cap 1"), std::string::npos) << out1;
  auto [rc2, out2] = reco("candidates query --graph " + dir.file("g.graph") + " --items 10 --k 5");
  ASSERT_EQ(rc2, 0) << out2;
  EXPECT_NE(out2.find("11"), std::string::npos) << out2;
}

}  // namespace
}  // namespace reco
