// reco bundle build | check | recommend — the serving bundle (src/reco/serve/bundle.h).
//   build      packs ranker, feature plan, item/user tables, candidate sources, Memboost priors and
//              store snapshot into one immutable, versioned directory
//   check      verifies every file's size and checksum and loads the whole bundle as the server would
//   recommend  answers one request offline, exactly as POST /v1/recommend would (no server needed)
//   score      the same for POST /v1/score: the ranking stage alone on given candidates
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "reco/core/error.h"
#include "reco/core/timer.h"
#include "reco/memboost/memboost_store.h"
#include "reco/serve/api_json.h"
#include "reco/serve/bundle.h"
#include "reco/serve/engine.h"

namespace reco::cli {

namespace {
struct BundleArgs {
  serve::BundleOptions build;
  std::string out;
  std::string dir;
  std::string request;  // recommend: a JSON body
  std::string store;    // recommend: a live Memboost store
};

serve::ContextMap parse_context(const std::vector<std::string>& items) {
  serve::ContextMap m;
  for (const auto& kv : items) {
    const size_t eq = kv.find('=');
    RECO_CHECK(eq != std::string::npos && eq > 0) << "--context '" << kv << "': expected NAME=VALUE";
    m[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return m;
}
}  // namespace

Action setup_bundle(CLI::App& sub, GlobalOptions& global) {
  auto a = std::make_shared<BundleArgs>();
  sub.require_subcommand(1);
  CLI::App* build = sub.add_subcommand("build", "Pack a serving bundle into a new directory");
  build->add_option("--model", a->build.model, "Ranker from reco train")->required();
  build->add_option("--dataset", a->build.dataset, "The dataset the ranker was trained on")->required();
  build->add_option("--interactions", a->build.interactions, "Interactions CSV: user histories and popular fallback");
  build->add_option("--source", a->build.sources, "Candidate source spec (repeatable; see reco candidates query)");
  build->add_option("--priors", a->build.priors, "Memboost priors JSON (reco memboost priors)");
  build->add_option("--memboost-store", a->build.memboost_store, "Memboost store to snapshot (reco memboost update)");
  build->add_option("--memboost-weights", a->build.memboost_weights, "mb_score weights, e.g. click=1,save=2");
  build->add_option("--memboost-smoothing", a->build.memboost_smoothing, "Memboost pseudo-count")->capture_default_str();
  build->add_option("--candidates", a->build.candidates, "Default candidates ranked per request")->capture_default_str();
  build->add_option("--reliability-rows", a->build.reliability_rows, "Held-out rows for the reliability bins")
      ->capture_default_str();
  build->add_option("--name", a->build.name, "Bundle name (prefix of its version)")->capture_default_str();
  build->add_flag("--force", a->build.force, "Replace an existing output directory");
  build->add_option("-o,--out", a->out, "Output directory (must not exist)")->required();

  CLI::App* check = sub.add_subcommand("check", "Verify a bundle's checksums and load it");
  check->add_option("dir", a->dir, "Bundle directory")->required();

  CLI::App* rec = sub.add_subcommand("recommend", "Answer one /v1/recommend request offline");
  rec->add_option("dir", a->dir, "Bundle directory")->required();
  rec->add_option("--request", a->request, "Request body as JSON (docs/api.md)")->required();
  rec->add_option("--store", a->store, "Live Memboost store directory (default: the bundle's snapshot, read-only)");

  CLI::App* score = sub.add_subcommand("score", "Answer one /v1/score request offline (the ranking stage alone)");
  score->add_option("dir", a->dir, "Bundle directory")->required();
  score->add_option("--request", a->request, "Request body as JSON (docs/api.md)")->required();
  score->add_option("--store", a->store, "Live Memboost store directory (default: the bundle's snapshot, read-only)");

  return [a, &global, build, check, score] {
    const RunContext ctx = global.context();
    if (build->parsed()) {
      Stopwatch sw;
      const auto m = serve::build_bundle(a->build, a->out, ctx);
      if (global.json) {
        std::printf("%s\n", m.dump(2).c_str());
        return 0;
      }
      std::printf("bundle %s -> %s (%zu files, %.1f s)\n", m["version"].get<std::string>().c_str(), a->out.c_str(),
                  m["files"].size(), sw.elapsed_seconds());
      std::printf("  items %s  users %s  sources %zu  memboost %s\n", m["counts"].value("items", nlohmann::json(0)).dump().c_str(),
                  m["counts"].value("users", nlohmann::json(0)).dump().c_str(), m["sources"].size(),
                  m["memboost"].is_null() ? "no" : "yes");
      if (!m["conflicts"].empty())
        std::printf("  note: rows disagreeing with their key's first row (first row kept): %s\n",
                    m["conflicts"].dump().c_str());
      return 0;
    }
    if (check->parsed()) {
      Stopwatch sw;
      const auto engine = serve::Engine::load(a->dir, ctx);
      nlohmann::json out = {{"bundle", a->dir}, {"version", engine->version()}, {"ok", true},
                            {"files", engine->manifest()["files"].size()}, {"seconds", sw.elapsed_seconds()}};
      if (global.json) {
        std::printf("%s\n", out.dump(2).c_str());
      } else {
        std::printf("bundle %s OK: version %s, %zu files verified and loaded in %.2f s\n", a->dir.c_str(),
                    engine->version().c_str(), engine->manifest()["files"].size(), sw.elapsed_seconds());
      }
      return 0;
    }
    // recommend | score: exactly what the server answers, without a server.
    const auto engine = serve::Engine::load(a->dir, ctx);
    std::unique_ptr<memboost::MemboostStore> store;
    const std::string store_dir = a->store.empty() ? engine->memboost_seed() : a->store;
    if (!store_dir.empty())
      store = std::make_unique<memboost::MemboostStore>(store_dir, memboost::MemboostStore::Mode::kReadOnly);
    const nlohmann::json body = serve::parse_json_body(a->request);
    serve::Response r;
    bool explain = false;
    if (score->parsed()) {
      const serve::ScoreRequest req = serve::score_request_from_json(body);
      explain = req.explain;
      r = engine->score(req, engine->merge_weights(engine->default_weights(), req.weights), store.get());
    } else {
      const serve::RecommendRequest req = serve::recommend_request_from_json(body);
      explain = req.explain;
      r = engine->recommend(req, engine->merge_weights(engine->default_weights(), req.weights), store.get());
    }
    std::printf("%s\n", serve::dump_json(serve::response_to_json(r, explain)).c_str());
    return 0;
  };
}

}  // namespace reco::cli
