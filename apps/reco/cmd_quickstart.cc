// reco quickstart — the main job, end to end on whatever data is at hand.
// With ../shared/data present it ingests the real Taobao UserBehavior log (leave-last-out
// split per user) and prints the dataset summary; without it, it generates the DLRM random
// dataset. Later stages of the cascade (training, candidates, serving) extend this command.
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "commands.h"
#include "reco/core/error.h"
#include "reco/data/dataset.h"
#include "reco/data/dataset_summary.h"
#include "reco/data/ingest.h"
#include "reco/data/presets.h"
#include "reco/data/random_gen.h"

namespace reco::cli {

namespace fs = std::filesystem;

namespace {
fs::path find_shared_data(const std::string& given) {
  std::error_code ec;
  if (!given.empty()) {
    RECO_CHECK_CODE(fs::is_directory(given, ec), ErrorCode::kNotFound) << "--data " << given << " is not a directory";
    return given;
  }
  if (const char* env = std::getenv("RECO_SHARED_DATA"); env && fs::is_directory(env, ec)) return env;
  if (fs::is_directory("../shared/data", ec)) return "../shared/data";
  return {};
}

void step(const GlobalOptions& g, const std::string& text) {
  if (!g.quiet && !g.json) std::printf("\n== %s\n", text.c_str());
  std::fflush(stdout);
}
}  // namespace

Action setup_quickstart(CLI::App& sub, GlobalOptions& global) {
  struct Opts {
    std::string data, out = "reco-quickstart";
    uint64_t random_rows = 200000;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--data", o->data, "Folder of shared datasets (default: $RECO_SHARED_DATA or ../shared/data)");
  sub.add_option("--out", o->out, "Working folder for the artifacts")->capture_default_str();
  sub.add_option("--random-rows", o->random_rows, "Rows of generated data when no real data is found")
      ->capture_default_str();
  return [o, &global] {
    RunContext ctx = global.context();
    fs::create_directories(o->out);
    fs::path data = find_shared_data(o->data);
    fs::path taobao = data.empty() ? fs::path{} : data / "taobao-userbehavior-head" / "UserBehavior_head_84475.csv";
    std::string dataset_path = (fs::path(o->out) / "events.dataset").string();
    nlohmann::json result = {{"out", o->out}};
    std::error_code ec;
    if (!taobao.empty() && fs::exists(taobao, ec)) {
      step(global, fmt::format("ingest {} (preset taobao, leave-last-out split)", taobao.string()));
      IngestOptions opt;
      opt.inputs = {taobao.string()};
      opt.schema = preset_schema("taobao");
      opt.schema_name = "taobao";
      opt.output = dataset_path;
      opt.split = "leave-last-out:1";
      opt.ctx = ctx;
      IngestReport report = ingest(opt);
      result["source"] = taobao.string();
      result["ingest"] = report.to_json();
      if (!global.quiet && !global.json) {
        std::printf("%llu rows in %.2f s (%.1f MB/s parse)\n", (unsigned long long)report.rows_written,
                    report.elapsed_seconds, report.parse_seconds > 0 ? report.text_bytes / report.parse_seconds / 1e6 : 0.0);
      }
    } else {
      step(global, fmt::format("no shared data found: generating {} random DLRM rows", o->random_rows));
      RandomDatasetSpec spec;
      spec.rows = o->random_rows;
      spec.table_sizes.assign(8, 10000);
      spec.seed = ctx.seed;
      generate_random_dataset(spec, dataset_path, ctx);
      result["source"] = "reco gen random";
    }
    step(global, "inspect " + dataset_path);
    nlohmann::json summary = summarize_dataset(Dataset::open(dataset_path), ctx);
    result["summary"] = summary;
    if (global.json) {
      std::printf("%s\n", result.dump(2).c_str());
    } else {
      std::fputs(format_dataset_summary(summary).c_str(), stdout);
    }
    return 0;
  };
}

}  // namespace reco::cli
