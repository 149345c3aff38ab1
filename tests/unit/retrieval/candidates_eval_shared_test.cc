// MovieLens-100k u1 (rating >= 4): item co-occurrence over users must beat most-popular on
// Recall@50 (the issue-7 quality bar's weakest form), through the CLI.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "testing/testing.h"

namespace reco {
namespace {

TEST(CandidatesEvalShared, Ml100kCoocBeatsPopularOnRecall50) {
  RECO_REQUIRE_SHARED(base, "movielens-100k/u1.base");
  RECO_REQUIRE_SHARED(test, "movielens-100k/u1.test");
  testing::TempDir dir;
  const std::string bin = testing::reco_binary();
  auto [rc, out] = testing::run_command(bin + " candidates split --format movielens --min-rating 4 --train " +
                                        base.string() + " --test " + test.string() + " --out-dir " + dir.file("s") +
                                        " --quiet 2>&1");
  ASSERT_EQ(rc, 0) << out;
  std::tie(rc, out) = testing::run_command(bin + " candidates build cooc --edges " + dir.file("s/train.csv") +
                                           " -o " + dir.file("c.cooc") + " --quiet 2>&1");
  ASSERT_EQ(rc, 0) << out;
  std::tie(rc, out) = testing::run_command(bin + " candidates eval --train " + dir.file("s/train.csv") + " --test " +
                                           dir.file("s/test.csv") + " --source popular --source cooc:" +
                                           dir.file("c.cooc") + " --k 50 --json --threads 2");
  ASSERT_EQ(rc, 0) << out;
  const auto j = nlohmann::json::parse(out);
  const double pop = j["results"][0]["metrics"]["recall@50"], cooc = j["results"][1]["metrics"]["recall@50"];
  EXPECT_GT(j["results"][0]["users_evaluated"].get<int>(), 400);
  EXPECT_GT(cooc, pop) << out;
}

}  // namespace
}  // namespace reco
