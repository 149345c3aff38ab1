// Runs the built `reco` binary as a user would: checks exit codes, the one-line error format,
// --json output and that a fixed seed with one thread reproduces a file byte for byte.
#include <gtest/gtest.h>

#include <fstream>
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

constexpr const char* kSchema = R"(
[format]
delimiter = ","
header = true

[[column]]
name = "click"
role = "label"

[[column]]
name = "price"
role = "dense"
normalizer = "log1p"

[[column]]
name = "city"
role = "categorical"
encoding = "vocab"

[[column]]
name = "user"
role = "user_id"
)";

TEST(Cli, VersionAndJson) {
  auto [code, out] = run_command(reco("version"));
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("reco "), std::string::npos);
  auto [jcode, jout] = run_command(reco("--json version"));
  EXPECT_EQ(jcode, 0);
  EXPECT_EQ(nlohmann::json::parse(jout)["version"].get<std::string>().empty(), false);
}

TEST(Cli, IngestInspectRoundTrip) {
  TempDir dir;
  write_file(dir.file("s.toml"), kSchema);
  write_file(dir.file("d.csv"), "click,price,city,user\n1,10,paris,u1\n0,3,rome,u2\n0,,paris,u1\n1,7,oslo,u3\n");
  auto [code, out] = run_command(reco("-q ingest --schema " + dir.file("s.toml") + " " + dir.file("d.csv") + " -o " +
                                      dir.file("d.dataset")));
  ASSERT_EQ(code, 0) << out;
  auto [icode, iout] = run_command(reco("inspect --json " + dir.file("d.dataset")));
  ASSERT_EQ(icode, 0) << iout;
  auto j = nlohmann::json::parse(iout);
  EXPECT_EQ(j["rows"].get<int>(), 4);
  ASSERT_EQ(j["labels"].size(), 1u);
  EXPECT_EQ(j["labels"][0]["positives"].get<int>(), 2);
  EXPECT_DOUBLE_EQ(j["labels"][0]["rate"].get<double>(), 0.5);
  // The text rendering names every column.
  auto [tcode, tout] = run_command(reco("inspect " + dir.file("d.dataset")));
  ASSERT_EQ(tcode, 0);
  for (const char* name : {"click", "price", "city", "user"}) EXPECT_NE(tout.find(name), std::string::npos) << name;
}

TEST(Cli, StrictErrorIsOneLineWithLocationAndExitCode) {
  TempDir dir;
  write_file(dir.file("s.toml"), kSchema);
  write_file(dir.file("bad.csv"), "click,price,city,user\n1,10,paris,u1\n0,abc,rome,u2\n");
  auto [code, out] = run_command(reco("ingest --schema " + dir.file("s.toml") + " " + dir.file("bad.csv") + " -o " +
                                      dir.file("x.dataset")));
  EXPECT_EQ(code, 5) << out;  // ErrorCode::kParse
  EXPECT_NE(out.find("bad.csv:3:"), std::string::npos) << out;
  EXPECT_NE(out.find("price"), std::string::npos) << out;
  EXPECT_EQ(out.find("reco: error[parse]"), 0u) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  std::ifstream produced(dir.file("x.dataset"));
  EXPECT_FALSE(produced.good()) << "no output file after a failed ingest";
}

TEST(Cli, SkipModeCountsRows) {
  TempDir dir;
  write_file(dir.file("s.toml"), kSchema);
  write_file(dir.file("bad.csv"), "click,price,city,user\n1,10,paris,u1\n0,abc,rome,u2\n1,2,oslo\n0,1,rome,u4\n");
  auto [code, out] = run_command(reco("--json ingest --on-error=skip --schema " + dir.file("s.toml") + " " +
                                      dir.file("bad.csv") + " -o " + dir.file("x.dataset")));
  ASSERT_EQ(code, 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["report"]["rows_read"].get<int>(), 4);
  EXPECT_EQ(j["report"]["rows_skipped"].get<int>(), 2);
  EXPECT_EQ(j["report"]["rows_written"].get<int>(), 2);
  EXPECT_EQ(Dataset::open(dir.file("x.dataset")).rows(), 2u);
}

TEST(Cli, MissingFileAndBadOptions) {
  TempDir dir;
  auto [code, out] = run_command(reco("ingest --format taobao " + dir.file("nope.csv") + " -o " + dir.file("o")));
  EXPECT_EQ(code, 3) << out;  // kNotFound
  EXPECT_NE(out.find("nope.csv"), std::string::npos);
  auto [c2, o2] = run_command(reco("ingest --format no-such-format " + dir.file("x") + " -o " + dir.file("o")));
  EXPECT_NE(c2, 0);
  EXPECT_NE(o2.find("taobao"), std::string::npos) << "lists valid names: " << o2;
  auto [c3, o3] = run_command(reco("inspect " + dir.file("missing.dataset")));
  EXPECT_NE(c3, 0);
  EXPECT_NE(o3.find("missing.dataset"), std::string::npos);
}

TEST(Cli, CorruptDatasetIsRejected) {
  TempDir dir;
  auto [code, out] = run_command(reco("-q gen random --rows 5000 --table-sizes 100x3 -o " + dir.file("r.dataset")));
  ASSERT_EQ(code, 0) << out;
  std::string bytes = read_file(dir.file("r.dataset"));
  bytes[bytes.size() / 2] ^= 0x5a;
  write_file(dir.file("c.dataset"), bytes);
  auto [c2, o2] = run_command(reco("inspect " + dir.file("c.dataset")));
  EXPECT_EQ(c2, 6) << o2;  // kCorrupt
  EXPECT_NE(o2.find("checksum"), std::string::npos) << o2;
  write_file(dir.file("t.dataset"), bytes.substr(0, bytes.size() / 3));
  auto [c3, o3] = run_command(reco("inspect " + dir.file("t.dataset")));
  EXPECT_EQ(c3, 6) << o3;
  EXPECT_NE(o3.find("truncated"), std::string::npos) << o3;
}

TEST(Cli, GenRandomIsDeterministicAcrossThreadCounts) {
  TempDir dir;
  const std::string args = " gen random --rows 200000 --dense 4 --table-sizes 1000,50,7 --lookups 3 --variable-lookups -o ";
  auto [c1, o1] = run_command(reco("-q --seed 7 --threads 1" + args + dir.file("a.dataset")));
  auto [c2, o2] = run_command(reco("-q --seed 7 --threads 2" + args + dir.file("b.dataset")));
  auto [c3, o3] = run_command(reco("-q --seed 8 --threads 1" + args + dir.file("c.dataset")));
  ASSERT_EQ(c1, 0) << o1;
  ASSERT_EQ(c2, 0) << o2;
  ASSERT_EQ(c3, 0) << o3;
  EXPECT_EQ(read_file(dir.file("a.dataset")), read_file(dir.file("b.dataset")));
  EXPECT_NE(read_file(dir.file("a.dataset")), read_file(dir.file("c.dataset")));
  Dataset ds = Dataset::open(dir.file("a.dataset"));
  EXPECT_EQ(ds.rows(), 200000u);
  EXPECT_EQ(ds.labels().size(), 1u);
}

TEST(Cli, QuickstartWithoutSharedDataUsesGeneratedData) {
  TempDir dir;
  auto [c2, o2] = run_command("cd " + dir.path().string() + " && RECO_SHARED_DATA=" + dir.file("none") + " " +
                              reco("--json quickstart --random-rows 5000 --out qs"));
  ASSERT_EQ(c2, 0) << o2;
  auto j = nlohmann::json::parse(o2);
  EXPECT_EQ(j["source"].get<std::string>(), "reco gen random");
  EXPECT_EQ(j["summary"]["rows"].get<int>(), 5000);
  ASSERT_EQ(j["ranker"]["heads"].size(), 1u);
  EXPECT_GT(j["ranker"]["heads"][0]["auc"].get<double>(), 0.5);
}

}  // namespace
}  // namespace reco
