// `reco samples engagement` end to end: ingest a tiny Taobao-style CSV with the taobao
// preset, build samples, check the --json summary against the written file, the text
// summary, thread-count determinism and one-line errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "reco/data/dataset.h"
#include "testing/testing.h"

namespace reco {
namespace {

using testing::read_file;
using testing::reco_binary;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

std::string reco(const std::string& args) { return reco_binary() + " " + args; }

constexpr const char* kEvents =
    "1,100,10,pv,1511544070\n"
    "1,100,10,cart,1511544080\n"
    "1,101,10,buy,1511544090\n"
    "1,200,20,pv,1511544100\n"
    "2,100,10,fav,1511544110\n"
    "2,102,10,pv,1511544120\n"
    "3,103,10,pv,1511544130\n"
    "3,201,20,pv,1511544140\n"
    "3,202,20,pv,1511544150\n"
    "4,104,10,pv,1511544160\n"
    "4,203,20,buy,1511544170\n";

std::string ingest_events(const TempDir& dir) {
  write_file(dir.file("ev.csv"), kEvents);
  auto [code, out] =
      run_command(reco("-q ingest --format taobao " + dir.file("ev.csv") + " -o " + dir.file("ev.dataset")));
  EXPECT_EQ(code, 0) << out;
  return dir.file("ev.dataset");
}

TEST(CliSamples, EngagementJsonMatchesTheFile) {
  TempDir dir;
  const std::string events = ingest_events(dir);
  auto [code, out] = run_command(reco("--json samples engagement --events " + events + " -o " +
                                      dir.file("s.dataset") + " --negatives 2 --alpha 0.5 --split 0.6,0.2,0.2"));
  ASSERT_EQ(code, 0) << out;
  auto j = nlohmann::json::parse(out);
  Dataset ds = Dataset::open(dir.file("s.dataset"));
  EXPECT_EQ(j["rows"].get<uint64_t>(), ds.rows());
  EXPECT_EQ(j["report"]["touched_pairs"].get<int>(), 10);  // distinct (user, item) pairs in kEvents
  EXPECT_EQ(j["options"]["negatives_per_user_category"].get<int>(), 2);
  EXPECT_DOUBLE_EQ(j["options"]["split"]["train"].get<double>(), 0.6);
  EXPECT_DOUBLE_EQ(j["downsampling"]["alpha"].get<double>(), 0.5);
  EXPECT_EQ(ds.extra()["downsampling"], j["downsampling"]);
  for (const char* label : {"pv", "fav", "cart", "buy"}) {
    ASSERT_TRUE(j["downsampling"]["per_label"].contains(label)) << label;
    double positives = 0;
    for (float y : ds.f32(label)) positives += y;
    const auto& p = j["report"]["labels"][label]["positives"];
    EXPECT_EQ(positives, p["train"].get<double>() + p["validation"].get<double>() + p["test"].get<double>());
  }
  // Text summary: rows per part and one line per label.
  auto [tcode, tout] = run_command(reco("samples engagement --events " + events + " -o " + dir.file("t.dataset")));
  ASSERT_EQ(tcode, 0) << tout;
  for (const char* word : {"train", "validation", "test", "pv", "fav", "cart", "buy", "alpha"}) {
    EXPECT_NE(tout.find(word), std::string::npos) << word << "\n" << tout;
  }
}

TEST(CliSamples, SameFileForAnyThreadCount) {
  TempDir dir;
  const std::string events = ingest_events(dir);
  for (const char* t : {"1", "3"}) {
    auto [code, out] = run_command(reco(std::string("-q --threads ") + t + " samples engagement --events " + events +
                                        " -o " + dir.file(std::string("s") + t + ".dataset")));
    ASSERT_EQ(code, 0) << out;
  }
  EXPECT_EQ(read_file(dir.file("s1.dataset")), read_file(dir.file("s3.dataset")));
}

TEST(CliSamples, ErrorsAreOneLine) {
  TempDir dir;
  const std::string events = ingest_events(dir);
  auto [c1, o1] = run_command(reco("samples engagement --events " + dir.file("none.dataset") + " -o " +
                                   dir.file("x.dataset")));
  EXPECT_NE(c1, 0);
  EXPECT_NE(o1.find("none.dataset"), std::string::npos) << o1;
  EXPECT_EQ(std::count(o1.begin(), o1.end(), '\n'), 1) << o1;
  auto [c2, o2] = run_command(reco("samples engagement --events " + events + " -o " + dir.file("x.dataset") +
                                   " --split 0.5,0.3,0.3"));
  EXPECT_EQ(c2, 2) << o2;  // kInvalidArgument
  EXPECT_NE(o2.find("--split"), std::string::npos) << o2;
  auto [c3, o3] = run_command(reco("samples engagement --events " + events + " -o " + dir.file("x.dataset") +
                                   " --alpha 0"));
  EXPECT_EQ(c3, 2) << o3;
  auto [c4, o4] = run_command(reco("samples engagement --events " + events + " -o " + dir.file("x.dataset") +
                                   " --category-column cat"));
  EXPECT_EQ(c4, 3) << o4;  // kNotFound
  EXPECT_NE(o4.find("ev.dataset"), std::string::npos) << o4;
  EXPECT_NE(o4.find("'cat'"), std::string::npos) << o4;
}

}  // namespace
}  // namespace reco
