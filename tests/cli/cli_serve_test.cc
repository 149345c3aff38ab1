// `reco bundle` end to end through the binary, on a small simulated log:
//   * build + check, and check refusing a changed, an extra or a missing file;
//   * parity: the bundle's ranking stage (`reco bundle score`, exactly the code of POST
//     /v1/score) gives the same calibrated probabilities as `reco rank` on the training
//     dataset's own rows (position zeroed) — the oracle for the whole feature plan: item and
//     user tables, context vocabularies, query attributes and match features;
//   * recommend: candidates from the sources, never the user's history, the segment filter,
//     quotas, the popular fallback for an unknown user, explain, and errors naming the field.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "reco/data/dataset.h"
#include "reco/data/event_log.h"
#include "reco/core/error.h"
#include "reco/serve/bundle_service.h"
#include "testing/testing.h"

namespace {

using reco::testing::read_csv;
using reco::testing::reco_binary;
using reco::testing::run_command;
using reco::testing::TempDir;
using reco::testing::write_file;
namespace fs = std::filesystem;

std::string reco(const std::string& args) { return reco_binary() + " -q --seed 5 " + args; }

class ServeBundle : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string d = dir_->path().string();
    auto run = [](const std::string& args) {
      auto [code, out] = run_command(reco(args));
      ASSERT_EQ(code, 0) << args << "\n" << out;
    };
    run("simulate -o " + d + "/sim --impressions 60000 --items 1500 --users 1000 --downsample 0.5");
    run("memboost priors --events " + d + "/sim/events.csv -o " + d + "/priors.json");
    run("memboost features --events " + d + "/sim/events.csv --priors " + d + "/priors.json -o " + d + "/mb.csv");
    run("memboost update --store " + d + "/store --events " + d + "/sim/events.csv --priors " + d + "/priors.json");
    run("samples events --events " + d + "/sim/events.csv --items " + d + "/sim/items.csv --users " + d +
        "/sim/users.csv --features " + d + "/mb.csv -o " + d + "/s.dataset");
    // Interactions: engaged impressions.
    {
      reco::EventReader reader(d + "/sim/events.csv");
      std::ofstream out(d + "/interactions.csv");
      out << "user,item,weight,timestamp\n";
      reco::Event e;
      while (reader.next(e)) {
        bool any = false;
        for (auto x : e.engaged) any = any || x;
        if (any) out << e.user_id << "," << e.item_id << ",1," << e.timestamp << "\n";
      }
    }
    run("candidates build graph --edges " + d + "/interactions.csv -o " + d + "/g.graph");
    run("candidates build cooc --graph " + d + "/g.graph -o " + d + "/c.cooc");
    run("candidates build item2vec --train " + d + "/interactions.csv --dim 16 --epochs 2 -o " + d + "/i2v.embed");
    run("candidates build ann --embeddings " + d + "/i2v.embed -o " + d + "/i2v.ann");
    const std::string model_toml =
        "[data]\npath = \"s.dataset\"\ndense = [\"item_quality\", \"item_log_popularity\", \"user_activity\", "
        "\"match_query_category\", \"match_user_category\", \"match_user_locale\"]\n"
        "sparse = [\"platform\", \"locale\", \"item_category\", \"user_top_category\", \"query_category\"]\n"
        "[[task]]\nname = \"click\"\nlabel = \"click\"\n[[task]]\nname = \"save\"\nlabel = \"save\"\n"
        "[model]\nkind = \"mlp\"\nhead = \"shared_bottom\"\nembedding_dim = 4\nshared = [16]\ntower = [8, 1]\n"
        "[position]\nmethod = \"tower\"\ncross = \"platform\"\n"
        "[optimizer]\nkind = \"lazy_adam\"\nlr = 0.005\n[train]\nbatch_size = 256\nepochs = 1\n"
        "[calibration]\nmethod = \"platt\"\n[utility]\nweights = { click = 1, save = 3 }\n";
    write_file(d + "/plain.toml", model_toml);
    run("train --config " + d + "/plain.toml --out " + d + "/plain.model");
    run("bundle build --model " + d + "/plain.model --dataset " + d + "/s.dataset --interactions " + d +
        "/interactions.csv --source pixie:" + d + "/g.graph,steps=5000,quota=300 --source cooc:" + d +
        "/c.cooc,quota=200 --source embed:" + d + "/i2v.embed,ann=" + d + "/i2v.ann,quota=100,name=item2vec "
        "--source popular,quota=100 --priors " + d + "/priors.json --memboost-store " + d +
        "/store --candidates 300 --name plain -o " + d + "/bundle");
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string d() { return dir_->path().string(); }

  // Runs `reco bundle SUB DIR --request BODY`; returns the exit code and the output.
  static std::pair<int, std::string> run_query(const std::string& sub, const nlohmann::json& body,
                                               const std::string& bundle = "") {
    const std::string req = d() + "/req.json";
    write_file(req, body.dump());
    return run_command(reco("bundle " + sub + " " + (bundle.empty() ? d() + "/bundle" : bundle) +
                            " --request \"$(cat " + req + ")\" 2>&1"));
  }
  static nlohmann::json query(const std::string& sub, const nlohmann::json& body) {
    auto [code, out] = run_query(sub, body);
    EXPECT_EQ(code, 0) << body.dump() << "\n" << out;
    if (code != 0) return nlohmann::json::object();
    return nlohmann::json::parse(out);
  }
  static TempDir* dir_;
};
TempDir* ServeBundle::dir_ = nullptr;


TEST_F(ServeBundle, CheckVerifiesAndRefusesChangedExtraOrMissingFiles) {
  auto [code, out] = run_command(reco("--json bundle check " + d() + "/bundle"));
  ASSERT_EQ(code, 0) << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_TRUE(j["ok"].get<bool>());
  EXPECT_EQ(j["version"].get<std::string>().rfind("plain-", 0), 0u) << out;

  // A copy with one byte of the items table changed.
  const std::string bad = d() + "/bad";
  fs::remove_all(bad);
  fs::copy(d() + "/bundle", bad, fs::copy_options::recursive);
  {
    std::fstream f(bad + "/items.table", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    char c = 0;
    f.read(&c, 1);
    f.seekp(200);
    c = static_cast<char>(c ^ 0x5a);
    f.write(&c, 1);
  }
  std::tie(code, out) = run_command(reco("bundle check " + bad + " 2>&1"));
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("items.table"), std::string::npos) << out;
  EXPECT_NE(out.find("checksum"), std::string::npos) << out;

  // An extra file.
  fs::remove_all(bad);
  fs::copy(d() + "/bundle", bad, fs::copy_options::recursive);
  write_file(bad + "/notes.txt", "x");
  std::tie(code, out) = run_command(reco("bundle check " + bad + " 2>&1"));
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("notes.txt"), std::string::npos) << out;

  // No manifest: not a bundle (an interrupted build leaves none).
  fs::remove(bad + "/bundle.json");
  std::tie(code, out) = run_command(reco("bundle check " + bad + " 2>&1"));
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("bundle.json"), std::string::npos) << out;

  // Bundles are immutable: building over an existing one needs --force.
  std::tie(code, out) = run_command(reco("bundle build --model " + d() + "/plain.model --dataset " + d() +
                                         "/s.dataset -o " + d() + "/bundle 2>&1"));
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("--force"), std::string::npos) << out;
}

TEST_F(ServeBundle, ScoreEqualsRankOnTheDatasetRows) {
  // The oracle: `reco rank` scores the dataset's stored feature values (position zeroed).
  auto [code, out] = run_command(reco("rank --model " + d() + "/plain.model --data " + d() +
                                      "/s.dataset --split test --position zeroed --out " + d() + "/ranked.csv"));
  ASSERT_EQ(code, 0) << out;
  const auto ranked = read_csv(d() + "/ranked.csv");
  ASSERT_GT(ranked.size(), 100u);
  ASSERT_EQ(ranked[0], (std::vector<std::string>{"group", "rank", "row", "utility", "click", "save"}));
  std::map<uint64_t, std::pair<double, double>> expected;  // dataset row -> (click, save)
  std::map<uint32_t, std::vector<uint64_t>> groups;        // request -> rows
  for (size_t i = 1; i < ranked.size(); ++i) {
    const uint64_t row = std::stoull(ranked[i][2]);
    expected[row] = {std::stod(ranked[i][4]), std::stod(ranked[i][5])};
    groups[static_cast<uint32_t>(std::stoul(ranked[i][0]))].push_back(row);
  }
  const reco::Dataset ds = reco::Dataset::open(d() + "/s.dataset");
  const auto user = ds.u32("user_id"), item = ds.u32("item_id"), query_col = ds.u32("query_item_id");
  const auto platform = ds.u32("platform"), locale = ds.u32("locale");
  size_t compared = 0, requests = 0, with_query = 0;
  for (const auto& [g, rows] : groups) {
    if (requests >= 25) break;
    const uint64_t r0 = rows.front();
    nlohmann::json body = {{"user", user[r0]},
                           {"context",
                            {{"platform", std::string(ds.vocabulary("platform").token(platform[r0]))},
                             {"locale", std::string(ds.vocabulary("locale").token(locale[r0]))}}}};
    if (query_col[r0] > 0) {
      body["item"] = query_col[r0] - 1;
      ++with_query;
    }
    nlohmann::json items = nlohmann::json::array();
    for (uint64_t r : rows) items.push_back(item[r]);
    body["items"] = items;
    const auto res = query("score", body);
    ASSERT_EQ(res["items"].size(), rows.size()) << res.dump();
    std::map<uint64_t, nlohmann::json> by_item;
    for (const auto& it : res["items"]) by_item[it["item"].get<uint64_t>()] = it;
    for (uint64_t r : rows) {
      const auto& it = by_item.at(item[r]);
      EXPECT_TRUE(it["known"].get<bool>());
      EXPECT_NEAR(it["p"]["click"].get<double>(), expected[r].first, 2e-6) << "row " << r << " request " << g;
      EXPECT_NEAR(it["p"]["save"].get<double>(), expected[r].second, 2e-6) << "row " << r << " request " << g;
      ++compared;
    }
    ++requests;
  }
  EXPECT_GE(compared, 100u);
  EXPECT_GE(with_query, 1u) << "no request with a query item among those compared: the query features went untested";
}

TEST_F(ServeBundle, RecommendUsesSourcesExcludesHistoryAndFilters) {
  // A user with history: candidates from the sources, none of the user's own items.
  std::set<uint64_t> history;
  uint64_t user = 0;
  {
    const auto rows = read_csv(d() + "/interactions.csv");
    std::map<uint64_t, std::set<uint64_t>> by_user;
    for (size_t i = 1; i < rows.size(); ++i) by_user[std::stoull(rows[i][0])].insert(std::stoull(rows[i][1]));
    for (const auto& [u, items] : by_user)
      if (items.size() > history.size()) user = u, history = items;
  }
  ASSERT_GE(history.size(), 3u);
  auto res = query("recommend", {{"user", user}, {"k", 20}, {"explain", true}, {"context", {{"platform", "ios"}}}});
  ASSERT_EQ(res["items"].size(), 20u) << res.dump();
  double previous = INFINITY;
  for (const auto& it : res["items"]) {
    EXPECT_FALSE(history.count(it["item"].get<uint64_t>())) << "recommended an item from the user's history";
    EXPECT_LE(it["utility"].get<double>(), previous);
    previous = it["utility"].get<double>();
    EXPECT_FALSE(it["sources"].empty());
    EXPECT_TRUE(it["features"].contains("item_category")) << it.dump();
    // Utility = sum of weight x calibrated head.
    EXPECT_NEAR(it["utility"].get<double>(), 1 * it["p"]["click"].get<double>() + 3 * it["p"]["save"].get<double>(), 1e-9);
  }
  EXPECT_TRUE(res["explain"]["user_known"].get<bool>());
  // Every source of the bundle proposed candidates, the ANN-backed embedding source included.
  for (const char* source : {"pixie", "cooc", "item2vec"})
    EXPECT_GT(res["explain"]["candidates"]["by_source"].value(source, 0), 0) << source << " " << res["explain"].dump();
  EXPECT_EQ(res["explain"]["candidates"]["wanted"], 300);
  for (const char* stage : {"candidates", "features", "memboost", "rank", "total"})
    EXPECT_TRUE(res["stage_ms"].contains(stage)) << stage;

  // Per-request weights re-rank without retraining: all weight on save orders by p(save).
  res = query("recommend", {{"user", user}, {"k", 30}, {"weights", {{"click", 0}, {"save", 1}}}});
  for (size_t i = 1; i < res["items"].size(); ++i)
    EXPECT_GE(res["items"][i - 1]["p"]["save"].get<double>(), res["items"][i]["p"]["save"].get<double>());

  // Segment filter on an item attribute.
  res = query("recommend", {{"user", user}, {"k", 10}, {"filter", {{"category", {"1", "2"}}}}, {"explain", true}});
  ASSERT_FALSE(res["items"].empty());
  for (const auto& it : res["items"]) {
    const std::string c = it["features"]["item_category"].get<std::string>();
    EXPECT_TRUE(c == "1" || c == "2") << c;
  }

  // Quotas: only co-occurrence candidates placed by quota... an unknown label is an error naming it.
  auto [code, out] = run_query("recommend", {{"user", user}, {"quotas", {{"nope", 5}}}});
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("quotas.nope"), std::string::npos) << out;

  // An unknown user: the popular fallback, said in the notes.
  res = query("recommend", {{"user", 99999999}, {"k", 5}});
  EXPECT_EQ(res["items"].size(), 5u);
  ASSERT_FALSE(res["notes"].empty());
  EXPECT_NE(res["notes"][0].get<std::string>().find("no history"), std::string::npos) << res.dump();
  for (const auto& it : res["items"]) EXPECT_EQ(it["sources"][0], "popular");

  // Bad requests name the field.
  std::tie(code, out) = run_query("recommend", {{"user", 1}, {"k", 0}});
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("k"), std::string::npos) << out;
  std::tie(code, out) = run_query("recommend", {{"user", 1}, {"weights", {{"like", 1}}}});
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("weights.like"), std::string::npos) << out;
}


TEST_F(ServeBundle, ServiceEventsMoveMemboostAndReloadKeepsServing) {
  reco::serve::BundleServiceOptions o;
  o.bundle = d() + "/bundle";
  o.state_dir = d() + "/state-service";
  fs::remove_all(o.state_dir);
  reco::serve::BundleService service(o);
  EXPECT_FALSE(service.ready());
  try {
    service.recommend({});
    FAIL() << "answered before a bundle was loaded";
  } catch (const reco::Error& e) {
    EXPECT_EQ(e.code(), reco::ErrorCode::kResourceExhausted);  // 503 at the HTTP edge
  }
  service.load();
  ASSERT_TRUE(service.ready());
  const std::string version = service.bundle_version();

  // An item nobody clicked in the log, scored for a home-feed request (no query item).
  reco::serve::ScoreRequest sr;
  sr.user = 1;
  const auto info = service.bundle_info();
  const uint64_t item = info["sample_items"][5].get<uint64_t>();
  sr.items = {item};
  const double before = service.score(sr).items.at(0).memboost;

  // 40 impressions at position 1, every one clicked and saved: far above what position 1 predicts.
  std::vector<reco::serve::EventIn> events;
  for (uint64_t i = 0; i < 40; ++i) {
    reco::serve::EventIn e;
    e.request_id = 1000000 + i;
    e.user = 1;
    e.item = item;
    e.position = 1;
    e.platform = "ios";
    e.locale = "en";
    e.policy = "model";
    e.engaged = {{"click", 1}, {"save", 1}};
    events.push_back(e);
  }
  const auto ack = service.events(events);
  EXPECT_EQ(ack.accepted, 40u);
  EXPECT_EQ(ack.log_rows, 40u);
  const double after = service.score(sr).items.at(0).memboost;
  EXPECT_GT(after, before + 0.1) << "Memboost did not move with the events (" << before << " -> " << after << ")";

  // A bad event stores nothing and names the field.
  events.resize(2);
  events[1].position = 0;
  try {
    service.events(events);
    FAIL() << "position 0 accepted";
  } catch (const reco::Error& e) {
    EXPECT_NE(std::string(e.what()).find("events[1].position"), std::string::npos) << e.what();
  }
  EXPECT_EQ(service.events({}).log_rows, 40u);

  // The event log is training data: `reco ingest` with a schema and `reco samples events` read it.
  write_file(d() + "/events.toml",
             "[format]\ndelimiter = \",\"\nheader = true\n"
             "[[column]]\nname = \"request_id\"\nrole = \"query_id\"\n"
             "[[column]]\nname = \"timestamp\"\nrole = \"timestamp\"\n"
             "[[column]]\nname = \"user_id\"\nrole = \"user_id\"\n"
             "[[column]]\nname = \"item_id\"\nrole = \"item_id\"\n"
             "[[column]]\nname = \"position\"\nrole = \"position\"\n"
             "[[column]]\nmatch = \"*click\"\nrole = \"label\"\n"
             "[[column]]\nname = \"closeup\"\nrole = \"label\"\n"
             "[[column]]\nname = \"save\"\nrole = \"label\"\n"
             "[[column]]\nname = \"sample_weight\"\nrole = \"weight\"\n"
             "[[column]]\nname = \"dwell\"\nrole = \"dense\"\n"
             "[[column]]\nmatch = \"*\"\nrole = \"categorical\"\n");
  {
    auto [code, out] = run_command(reco("--json ingest --schema " + d() + "/events.toml -o " + d() + "/live.dataset " +
                                        o.state_dir + "/events.csv"));
    ASSERT_EQ(code, 0) << out;
    const reco::Dataset live = reco::Dataset::open(d() + "/live.dataset");
    EXPECT_EQ(live.rows(), 40u);
    const auto save = live.f32("save");
    EXPECT_EQ(std::count(save.begin(), save.end(), 1.0f), 40);
  }

  // Weights change live; a reload of the same bundle keeps the version and restores its weights.
  const auto w = service.set_weights({{"save", 10}});
  EXPECT_EQ(w.at("save"), 10);
  EXPECT_EQ(service.bundle_info()["weights"]["save"], 10);
  const auto r = service.reload("");
  EXPECT_EQ(r.previous_version, version);
  EXPECT_EQ(r.version, version);
  EXPECT_EQ(service.bundle_info()["weights"]["save"], 3);
  // A directory that is no bundle: refused, the old one stays live.
  EXPECT_THROW(service.reload(d() + "/sim"), reco::Error);
  EXPECT_EQ(service.bundle_version(), version);
  EXPECT_EQ(service.score(sr).bundle_version, version);
}

}  // namespace
