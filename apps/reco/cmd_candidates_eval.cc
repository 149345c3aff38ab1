// `reco candidates split | eval` (build ann: cmd_candidates_ann.cc).
//   split  --format tmall|movielens|taobao|csv (--train F,.. --test F,.. | --input F --holdout-last N)
//          [--min-rating R] --out-dir D      -> D/train.csv, D/test.csv (interactions CSV)
//   eval   --train train.csv --test test.csv --source SPEC [--source SPEC ..] [--merge]
//          [--k 10,20,50,100] [--max-users N]   (specs: candidate_sources.h)
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "reco/serve/candidate_sources.h"
#include "candidates_commands.h"
#include "reco/core/error.h"
#include "reco/core/timer.h"
#include "reco/retrieval/candidate_eval.h"
#include "reco/retrieval/interactions.h"

namespace reco::cli {

using serve::make_merger;
using serve::open_source;
using serve::parse_source_spec;
using serve::SourceInputs;
using serve::SourceSpec;


namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string tok; std::getline(ss, tok, ',');)
    if (!tok.empty()) out.push_back(tok);
  return out;
}

std::vector<size_t> parse_ks(const std::string& text) {
  std::vector<size_t> ks;
  for (const auto& tok : split_list(text)) {
    size_t k = 0;
    auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), k);
    if (ec != std::errc() || p != tok.data() + tok.size() || k == 0)
      RECO_THROW(ErrorCode::kInvalidArgument) << "--k: '" << tok << "' is not a positive integer";
    ks.push_back(k);
  }
  RECO_CHECK(!ks.empty()) << "--k: give at least one cut-off";
  return ks;
}

}  // namespace

Action setup_candidates_split(CLI::App* app, GlobalOptions& global) {
  struct Opts {
    std::string format = "csv", train, test, out_dir;
    SplitSpec spec;
  };
  auto o = std::make_shared<Opts>();
  app->add_option("--format", o->format, "tmall | movielens | taobao | csv")->capture_default_str();
  app->add_option("--train", o->train, "Training files, comma-separated (tmall: buy.txt,collect.txt)");
  app->add_option("--test", o->test, "Test files, comma-separated");
  app->add_option("--input", o->spec.input, "Or one file whose last --holdout-last rows per user are the test side");
  app->add_option("--holdout-last", o->spec.holdout_last, "Rows held out per user with --input")
      ->capture_default_str();
  app->add_option("--min-rating", o->spec.min_rating, "movielens: keep rows with rating >= this")
      ->capture_default_str();
  app->add_flag("--strict", o->spec.strict, "Stop at the first bad row instead of skipping and counting it");
  app->add_option("--out-dir", o->out_dir, "Directory for train.csv and test.csv")->required();
  return [o, &global]() -> int {
    Stopwatch clock;
    o->spec.format = parse_split_format(o->format);
    o->spec.train_files = split_list(o->train);
    o->spec.test_files = split_list(o->test);
    const SplitResult r = split_interactions(o->spec);
    std::filesystem::create_directories(o->out_dir);
    const std::string train_path = (std::filesystem::path(o->out_dir) / "train.csv").string();
    const std::string test_path = (std::filesystem::path(o->out_dir) / "test.csv").string();
    write_interactions(train_path, r.train);
    write_interactions(test_path, r.test);
    if (global.json) {
      nlohmann::json j = r.report.to_json();
      j["format"] = o->format;
      j["train_path"] = train_path;
      j["test_path"] = test_path;
      j["seconds"] = clock.elapsed_seconds();
      std::printf("%s\n", j.dump().c_str());
      return 0;
    }
    if (global.quiet) return 0;
    std::printf("split (%s) -> %s, %s\n", o->format.c_str(), train_path.c_str(), test_path.c_str());
    for (const auto& f : r.report.files)
      std::printf("  %-5s %s: %llu lines, %llu rows kept, %llu bad, %llu below min rating, %llu header, %llu blank\n",
                  f.side.c_str(), f.path.c_str(), (unsigned long long)f.lines, (unsigned long long)f.rows,
                  (unsigned long long)f.bad, (unsigned long long)f.below_min_rating, (unsigned long long)f.header,
                  (unsigned long long)f.blank);
    for (const auto& e : r.report.errors) std::printf("  bad row: %s\n", e.c_str());
    if (!o->spec.input.empty())
      std::printf("  users with <= %u rows (all in train): %llu\n", o->spec.holdout_last,
                  (unsigned long long)r.report.users_train_only);
    const auto& tr = r.report.train;
    const auto& te = r.report.test;
    std::printf("  train: %llu rows, %llu users, %llu items\n", (unsigned long long)tr.rows,
                (unsigned long long)tr.users, (unsigned long long)tr.items);
    std::printf("  test:  %llu rows, %llu users, %llu items\n", (unsigned long long)te.rows,
                (unsigned long long)te.users, (unsigned long long)te.items);
    std::printf("  %.3f s\n", clock.elapsed_seconds());
    return 0;
  };
}

Action setup_candidates_eval(CLI::App* app, GlobalOptions& global) {
  struct Opts {
    std::string train, test, ks = "10,20,50,100";
    std::vector<std::string> sources;
    bool merge = false;
    size_t max_users = 0;
  };
  auto o = std::make_shared<Opts>();
  app->add_option("--train", o->train, "Training interactions CSV (reco candidates split)")->required();
  app->add_option("--test", o->test, "Test interactions CSV")->required();
  app->add_option("--source", o->sources,
                  "Source spec, repeatable: pixie:G.graph[,steps=N,alpha=A] | cooc:C.cooc | "
                  "embed:E.embed[,ann=A.ann] | twotower:M.twotower[,ann=A.ann] | popular; "
                  "quota=N and name=L for --merge")
      ->required();
  app->add_flag("--merge", o->merge, "Also evaluate the merge of all sources (quotas from the specs)");
  app->add_option("--k", o->ks, "Cut-offs, comma-separated")->capture_default_str();
  app->add_option("--max-users", o->max_users, "Evaluate only the first N eligible users (0 = all)")
      ->capture_default_str();
  return [o, &global]() -> int {
    const RunContext ctx = global.context();
    Stopwatch clock;
    CandidateEvalOptions opt;
    opt.ks = parse_ks(o->ks);
    opt.max_users = o->max_users;
    const std::vector<Interaction> train = read_interactions(o->train);
    const std::vector<Interaction> test = read_interactions(o->test);
    const CandidateEvaluator evaluator(train, test, opt);
    const double read_s = clock.elapsed_seconds();
    std::vector<SourceSpec> specs;
    std::vector<std::shared_ptr<const CandidateSource>> sources;
    SourceInputs inputs{&train};
    for (const auto& text : o->sources) {
      specs.push_back(parse_source_spec(text));
      sources.push_back(open_source(specs.back(), inputs));
    }
    std::vector<CandidateEvalResult> results;
    for (size_t i = 0; i < sources.size(); ++i) {
      results.push_back(evaluator.evaluate(*sources[i], ctx));
      results.back().source = specs[i].label;
    }
    if (o->merge) {
      const auto merger = make_merger(specs, sources);
      results.push_back(evaluator.evaluate(*merger, ctx));
      std::string label = "merge(";
      for (size_t i = 0; i < specs.size(); ++i)
        label += (i ? "+" : "") + specs[i].label + (specs[i].quota ? ":" + std::to_string(specs[i].quota) : "");
      results.back().source = label + ")";
    }
    if (global.json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& r : results) arr.push_back(r.to_json());
      const nlohmann::json j = {{"train", o->train},       {"test", o->test},
                                {"train_rows", train.size()}, {"test_rows", test.size()},
                                {"read_seconds", read_s},  {"results", arr},
                                {"seconds", clock.elapsed_seconds()}};
      std::printf("%s\n", j.dump().c_str());
      return 0;
    }
    if (global.quiet) return 0;
    const CandidateEvalResult& first = results.front();
    std::printf("candidate eval: %s / %s (catalog %llu items, threads %d)\n", o->train.c_str(), o->test.c_str(),
                (unsigned long long)first.catalog, ctx.threads);
    std::printf("  test users %llu: evaluated %llu, cold (no training rows) %llu, all test items in history %llu,"
                " beyond --max-users %llu; test rows already in history %llu\n",
                (unsigned long long)first.test_users, (unsigned long long)first.users_evaluated,
                (unsigned long long)first.users_cold, (unsigned long long)first.users_no_relevant,
                (unsigned long long)first.users_not_requested, (unsigned long long)first.test_items_in_history);
    for (const auto& r : results) {
      std::printf("\n%s  (%.3f s, %.1f queries/s, mean list %.1f)\n", r.source.c_str(), r.seconds,
                  r.queries_per_second, r.mean_candidates);
      std::printf("  %6s  %8s  %8s  %8s  %8s\n", "K", "recall", "ndcg", "hr", "coverage");
      for (size_t k = 0; k < r.ks.size(); ++k)
        std::printf("  %6zu  %8.4f  %8.4f  %8.4f  %8.4f\n", r.ks[k], r.recall[k], r.ndcg[k], r.hit_rate[k],
                    r.coverage[k]);
    }
    return 0;
  };
}

}  // namespace reco::cli
