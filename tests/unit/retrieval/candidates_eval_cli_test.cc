// `reco candidates split | build cooc | eval | query --source` end to end on a tiny
// MovieLens-layout fixture: counts in the split report, bad rows named, cold users counted,
// cooc beating popular where the fixture makes the answer certain, merged query provenance.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "testing/testing.h"

namespace reco {
namespace {

std::pair<int, std::string> reco(const std::string& args) {
  return testing::run_command(testing::reco_binary() + " " + args + " 2>&1");
}

nlohmann::json last_json_line(const std::string& out) {
  const size_t start = out.rfind("\n{");
  return nlohmann::json::parse(out.substr(start == std::string::npos ? 0 : start + 1));
}

// Popularity: item 1 (3 users) > 2, 3 (2 each) > 4, 5. User 4 saw only item 3, which
// co-occurs only with 4 (user 3): cooc ranks 4 first, popular ranks 1 first.
// u1.test: user 4 -> 4 (relevant), user 6 has no training rows (cold), one rating < 4.
const char* kBase = "1\t1\t5\t10\n1\t2\t4\t11\n2\t1\t4\t12\n2\t2\t5\t13\n3\t3\t4\t14\n3\t4\t5\t15\n"
                    "4\t3\t5\t16\n5\t5\t4\t17\n5\t1\t4\t18\n5\t9\t1\t19\nbad line\n";
const char* kTest = "4\t4\t5\t30\n6\t1\t5\t31\n1\t5\t2\t32\n";

TEST(CandidatesEvalCli, SplitBuildEvalQuery) {
  testing::TempDir dir;
  testing::write_file(dir.file("u1.base"), kBase);
  testing::write_file(dir.file("u1.test"), kTest);
  auto [rc, out] = reco("candidates split --format movielens --train " + dir.file("u1.base") + " --test " +
                        dir.file("u1.test") + " --min-rating 4 --out-dir " + dir.file("split") + " --json");
  ASSERT_EQ(rc, 0) << out;
  const auto split = last_json_line(out);
  EXPECT_EQ(split["train"]["rows"], 9);
  EXPECT_EQ(split["train"]["users"], 5);
  EXPECT_EQ(split["test"]["rows"], 2);
  EXPECT_EQ(split["bad_rows"], 1);
  EXPECT_NE(split["errors"][0].get<std::string>().find("u1.base:11: field 'fields'"), std::string::npos) << out;
  EXPECT_EQ(split["files"][0]["below_min_rating"], 1);

  const std::string train = dir.file("split/train.csv"), test = dir.file("split/test.csv");
  std::tie(rc, out) = reco("candidates build cooc --edges " + train + " -o " + dir.file("c.cooc") + " --quiet");
  ASSERT_EQ(rc, 0) << out;
  std::tie(rc, out) = reco("candidates build graph --edges " + train + " -o " + dir.file("g.graph") + " --quiet");
  ASSERT_EQ(rc, 0) << out;

  std::tie(rc, out) = reco("candidates eval --train " + train + " --test " + test + " --source popular --source cooc:" +
                           dir.file("c.cooc") + ",quota=1 --source pixie:" + dir.file("g.graph") +
                           ",steps=2000 --merge --k 1,2 --json --threads 2");
  ASSERT_EQ(rc, 0) << out;
  const auto ev = last_json_line(out);
  ASSERT_EQ(ev["results"].size(), 4u);
  const auto& pop = ev["results"][0];
  const auto& cooc = ev["results"][1];
  EXPECT_EQ(pop["source"], "popular");
  EXPECT_EQ(pop["test_users"], 2);
  EXPECT_EQ(pop["users_evaluated"], 1);
  EXPECT_EQ(pop["users_cold"], 1);
  EXPECT_DOUBLE_EQ(pop["metrics"]["recall@1"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(cooc["metrics"]["recall@1"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(cooc["metrics"]["ndcg@1"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(ev["results"][2]["metrics"]["hr@1"].get<double>(), 1.0);  // pixie: 3 -> user 3 -> 4
  // Merge: popular's rank-1 item placed first, cooc's second: recall@2 = 1.
  EXPECT_DOUBLE_EQ(ev["results"][3]["metrics"]["recall@1"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(ev["results"][3]["metrics"]["recall@2"].get<double>(), 1.0);

  // Text table mentions cold users.
  std::tie(rc, out) = reco("candidates eval --train " + train + " --test " + test + " --source popular --k 5");
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("cold (no training rows) 1"), std::string::npos) << out;

  std::tie(rc, out) = reco("candidates query --source popular --source cooc:" + dir.file("c.cooc") +
                           " --user 4 --train " + train + " --k 3 --json");
  ASSERT_EQ(rc, 0) << out;
  const auto q = last_json_line(out);
  EXPECT_EQ(q["items"], nlohmann::json::array({3}));
  bool seen = false;
  for (const auto& c : q["candidates"]) {
    EXPECT_NE(c["item"], 3);  // the history is excluded
    if (c["item"] == 4) {
      seen = true;
      bool from_cooc = false;
      for (const auto& p : c["provenance"]) from_cooc |= p["source"] == "cooc";
      EXPECT_TRUE(from_cooc) << c.dump();
    }
  }
  EXPECT_TRUE(seen) << out;

  std::tie(rc, out) = reco("candidates eval --train " + train + " --test " + test + " --source walk:x");
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("unknown kind 'walk'"), std::string::npos) << out;
}

}  // namespace
}  // namespace reco
