// `reco memboost priors|update|query|features` end to end through the built binary.
#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "reco/data/event_samples.h"
#include "reco/memboost/memboost_features.h"
#include "synthetic_log.h"
#include "testing/testing.h"

namespace reco::memboost {
namespace {

using testing::run_command;

std::string reco() { return testing::reco_binary(); }

nlohmann::json last_json_line(const std::string& out) {
  const size_t end = out.find_last_not_of('\n');
  const size_t start = out.rfind('\n', end);
  return nlohmann::json::parse(out.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start + 1)));
}

TEST(MemboostCli, PriorsUpdateQueryFeatures) {
  testing::TempDir dir;
  testlog::Config cfg;
  cfg.requests = 3000;
  cfg.policies = {"random", "model"};
  const auto events = testlog::downsample(testlog::generate(cfg), 0.5, 2);
  const std::string log = dir.file("events.csv");
  testlog::write(log, events);

  auto [rc, out] = run_command(reco() + " memboost priors --events " + log + " -o " + dir.file("p.json") +
                               " --policy random --min-impressions 100 --json");
  ASSERT_EQ(rc, 0) << out;
  const auto pj = last_json_line(out);
  EXPECT_EQ(pj["policy"], "random");
  EXPECT_EQ(pj["rows_read"].get<uint64_t>(), events.size());
  EXPECT_LT(pj["rows_used"].get<uint64_t>(), events.size());
  EXPECT_EQ(pj["max_position"], 10);
  EXPECT_DOUBLE_EQ(pj["platforms"]["*"]["curve"]["click"][0].get<double>(), 1.0);

  const std::string store = dir.file("store");
  std::tie(rc, out) = run_command(reco() + " memboost update --store " + store + " --events " + log + " --priors " +
                                  dir.file("p.json") + " --batch-rows 5000 --json");
  ASSERT_EQ(rc, 0) << out;
  auto uj = last_json_line(out);
  EXPECT_EQ(uj["rows_applied"].get<uint64_t>(), events.size());
  EXPECT_GE(uj["batches"].get<uint64_t>(), 2u);
  // Running it again applies nothing: the store resumes from its cursor.
  std::tie(rc, out) = run_command(reco() + " memboost update --store " + store + " --events " + log + " --priors " +
                                  dir.file("p.json") + " --json");
  ASSERT_EQ(rc, 0) << out;
  uj = last_json_line(out);
  EXPECT_EQ(uj["rows_applied"].get<uint64_t>(), 0u);
  EXPECT_EQ(uj["rows_skipped"].get<uint64_t>(), events.size());

  const std::string q = std::to_string(events[0].query_item_id);
  std::tie(rc, out) = run_command(reco() + " memboost query --store " + store + " --query " + q +
                                  " --top 5 --min-impressions 0 --weights click=1,save=2 --json");
  ASSERT_EQ(rc, 0) << out;
  const auto qj = last_json_line(out);
  ASSERT_EQ(qj["results"].size(), 5u);
  for (size_t i = 1; i < 5; ++i) EXPECT_GE(qj["results"][i - 1]["score"], qj["results"][i]["score"]);
  // Text output (no --json) has a header naming the types.
  std::tie(rc, out) = run_command(reco() + " memboost query --store " + store + " --query " + q);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("E[save]"), std::string::npos) << out;

  std::tie(rc, out) = run_command(reco() + " memboost features --events " + log + " --priors " + dir.file("p.json") +
                                  " -o " + dir.file("f.csv") + " --weights click=1,save=2 --smoothing 2 --json");
  ASSERT_EQ(rc, 0) << out;
  const auto fj = last_json_line(out);
  EXPECT_EQ(fj["rows"].get<uint64_t>(), events.size());
  const std::string csv = testing::read_file(dir.file("f.csv"));
  EXPECT_EQ(static_cast<size_t>(std::count(csv.begin(), csv.end(), '\n')), events.size() + 1);
  EXPECT_EQ(csv.rfind("mb_impressions,mb_expected_click,mb_click,mb_coec_click,mb_score,mb_save,mb_expected_save\n", 0),
            0u);

  // Memboost-input dropout: rows before --cold-before of half the pairs written as unseen pairs.
  const int64_t half = events[events.size() / 2].timestamp;
  std::tie(rc, out) = run_command(reco() + " --seed 3 memboost features --events " + log + " --priors " +
                                  dir.file("p.json") + " -o " + dir.file("c.csv") +
                                  " --weights click=1,save=2 --smoothing 2 --cold-fraction 0.5 --cold-before " +
                                  std::to_string(half) + " --json");
  ASSERT_EQ(rc, 0) << out;
  const auto cj = last_json_line(out);
  EXPECT_EQ(cj["cold_before"].get<int64_t>(), half);
  EXPECT_GT(cj["rows_masked"].get<uint64_t>(), 0u);
  EXPECT_LT(cj["rows_masked"].get<uint64_t>(), events.size() / 2);
  // The default boundary (2 holdout days ending the day after the last event) lies before this one-day log.
  std::tie(rc, out) = run_command(reco() + " memboost features --events " + log + " --priors " +
                                  dir.file("p.json") + " -o " + dir.file("c.csv") + " --cold-fraction 0.5 --json");
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(last_json_line(out)["rows_masked"].get<uint64_t>(), 0u);
  EXPECT_EQ(last_json_line(out)["cold_before"].get<int64_t>(), static_cast<int64_t>(std::ceil(holdout_from(events.back().timestamp, 2.0))));
  std::tie(rc, out) = run_command(reco() + " memboost features --events " + log + " --priors " +
                                  dir.file("p.json") + " -o " + dir.file("c.csv") + " --cold-fraction 1.5");
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("--cold-fraction must be in [0, 1]"), std::string::npos) << out;
}

TEST(MemboostCli, ClearErrors) {
  testing::TempDir dir;
  testlog::Config cfg;
  cfg.requests = 20;
  testlog::write(dir.file("e.csv"), testlog::generate(cfg));
  auto [rc, out] = run_command(reco() + " memboost priors --events " + dir.file("e.csv") + " -o " +
                               dir.file("p.json") + " --policy nosuch");
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("no impressions of policy 'nosuch'"), std::string::npos) << out;
  std::tie(rc, out) = run_command(reco() + " memboost priors --events " + dir.file("e.csv") + " -o " +
                                  dir.file("p.json"));
  ASSERT_EQ(rc, 0) << out;
  std::tie(rc, out) = run_command(reco() + " memboost features --events " + dir.file("e.csv") + " --priors " +
                                  dir.file("p.json") + " -o " + dir.file("f.csv") + " --weights clicks=1");
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("unknown engagement type 'clicks'"), std::string::npos) << out;
  std::tie(rc, out) = run_command(reco() + " memboost query --store " + dir.file("nostore") + " --query 1");
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("nostore"), std::string::npos) << out;
  std::tie(rc, out) = run_command(reco() + " memboost query --store " + dir.file("nostore") + " --query abc");
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("--query 'abc'"), std::string::npos) << out;
  std::tie(rc, out) = run_command(reco() + " memboost update --store " + dir.file("s") + " --events " +
                                  dir.file("e.csv") + " --priors " + dir.file("missing.json"));
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("missing.json"), std::string::npos) << out;
}

}  // namespace
}  // namespace reco::memboost
