// reco gen random — the DLRM paper's synthetic dataset, written straight to a dataset file.
#include <chrono>
#include <cstdio>
#include <sstream>

#include <fmt/format.h>

#include "commands.h"
#include "reco/eval/metric_set.h"
#include "reco/core/error.h"
#include "reco/data/random_gen.h"

namespace reco::cli {

namespace {
uint64_t parse_size(const std::string& item) {
  size_t used = 0;
  uint64_t value = 0;
  try {
    value = std::stoull(item, &used);
  } catch (const std::logic_error&) {
    used = 0;
  }
  if (used == 0 || used != item.size()) {
    RECO_THROW(ErrorCode::kInvalidArgument) << "--table-sizes: '" << item << "' is not an integer";
  }
  return value;
}

// "1000,20000,5" (one size per table) or "100000x26" (26 tables of 100000).
std::vector<uint64_t> parse_table_sizes(const std::string& text) {
  if (auto x = text.find('x'); x != std::string::npos) {
    return std::vector<uint64_t>(parse_size(text.substr(x + 1)), parse_size(text.substr(0, x)));
  }
  std::vector<uint64_t> sizes;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) sizes.push_back(parse_size(item));
  return sizes;
}
}  // namespace

Action setup_gen(CLI::App& sub, GlobalOptions& global) {
  sub.require_subcommand(1);
  CLI::App* random = sub.add_subcommand("random", "DLRM-style random dataset (dense + sparse lookups + label)");
  struct Opts {
    std::string out;
    uint64_t rows = 1000000;
    uint32_t dense = 13;
    std::string dense_dist = "uniform";
    std::string tables = "100000x26";
    uint32_t lookups = 1;
    bool variable = false;
    std::string labels = "logistic";
    double rate = 0.25;
    std::string split = "none";
  };
  auto o = std::make_shared<Opts>();
  random->add_option("-o,--out", o->out, "Output dataset file")->required();
  random->add_option("--rows", o->rows, "Rows to generate")->capture_default_str();
  random->add_option("--dense", o->dense, "Dense features")->capture_default_str();
  random->add_option("--dense-dist", o->dense_dist, "uniform|normal")->capture_default_str();
  random->add_option("--table-sizes", o->tables, "Embedding table sizes: 'N1,N2,...' or 'NxCOUNT'")
      ->capture_default_str();
  random->add_option("--lookups", o->lookups, "Ids per table per row (k > 1: multi-hot)")->capture_default_str();
  random->add_flag("--variable-lookups", o->variable, "Each row draws 1..k ids per table");
  random->add_option("--labels", o->labels, "rate|logistic (hidden linear model)")->capture_default_str();
  random->add_option("--label-rate", o->rate, "Target positive rate")->capture_default_str();
  random->add_option("--split", o->split, "Random split, e.g. random:0.8,0.1,0.1 (none = no split)")
      ->capture_default_str();
  return [o, &global] {
    RunContext ctx = global.context();
    RandomDatasetSpec spec;
    spec.rows = o->rows;
    spec.dense = o->dense;
    spec.dense_distribution = parse_dense_distribution(o->dense_dist);
    spec.table_sizes = parse_table_sizes(o->tables);
    spec.lookups = o->lookups;
    spec.variable_lookups = o->variable;
    spec.label_mode = parse_label_mode(o->labels);
    spec.label_rate = o->rate;
    spec.seed = ctx.seed;
    spec.split = o->split;
    spec.validate();
    auto start = std::chrono::steady_clock::now();
    // The teacher's own metrics per split: the ceiling a learner can approach.
    auto teacher = [](std::span<const float> p, std::span<const float> y, std::span<const uint8_t> split) {
      nlohmann::json out = nlohmann::json::object();
      const char* names[] = {"train", "validation", "test", "all"};
      for (int part = 0; part < 4; ++part) {
        if (part < 3 && split.empty()) continue;
        eval::MetricSet set({"auc", "logloss"});
        for (size_t r = 0; r < p.size(); ++r)
          if (part == 3 || split[r] == part) set.add(p[r], y[r]);
        if (set.count() == 0) continue;
        nlohmann::json m;
        for (const auto& [k, v] : set.values()) m[k] = v;
        out[names[part]] = m;
      }
      return out;
    };
    if (spec.label_mode == LabelMode::kLogistic) {
      generate_random_dataset(spec, o->out, ctx, teacher);
    } else {
      generate_random_dataset(spec, o->out, ctx);
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (global.json) {
      std::printf("{\"out\":\"%s\",\"rows\":%llu,\"seconds\":%.3f}\n", o->out.c_str(), (unsigned long long)spec.rows,
                  secs);
    } else if (!global.quiet) {
      std::fprintf(stderr, "reco: wrote %llu rows to %s in %.2f s (%.1f M rows/s)\n", (unsigned long long)spec.rows,
                   o->out.c_str(), secs, spec.rows / secs / 1e6);
    }
    return 0;
  };
}

}  // namespace reco::cli
