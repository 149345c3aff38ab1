// `reco simulate`: a seeded engagement log with its ground truth (reco/sim/simulator.h,
// docs/simulator.md). Options override the --config TOML, which overrides the defaults.
#include <cstdio>
#include <memory>

#include "commands.h"
#include "reco/core/error.h"
#include "reco/core/human.h"
#include "reco/sim/simulator.h"

namespace reco::cli {

namespace {

struct SimulateOptions {
  std::string out, config;
  int64_t impressions = 0, days = 0, holdout_days = -1, items = 0, users = 0, list_size = 0;
  double downsample = -1, random_fraction = -1;
};

sim::SimConfig resolve_config(const SimulateOptions& o) {
  sim::SimConfig c = o.config.empty() ? sim::SimConfig{} : sim::SimConfig::from_toml_file(o.config);
  if (o.impressions > 0) c.impressions = o.impressions;
  if (o.days > 0) c.days = o.days;
  if (o.holdout_days >= 0) c.holdout_days = o.holdout_days;
  if (o.items > 0) c.items = o.items;
  if (o.users > 0) c.users = o.users;
  if (o.list_size > 0) c.list_size = o.list_size;
  if (o.downsample >= 0) c.downsample = o.downsample;
  if (o.random_fraction >= 0) c.random_fraction = o.random_fraction;
  c.validate();
  return c;
}

void print_summary(const sim::SimReport& r, const std::string& out) {
  std::printf("simulate -> %s  (seed %llu)\n", out.c_str(), (unsigned long long)r.seed);
  std::printf("  requests %llu  (with a query item %llu; lists: popularity %llu, model %llu, random %llu)\n",
              (unsigned long long)r.requests, (unsigned long long)r.query_requests,
              (unsigned long long)r.policy_requests[0], (unsigned long long)r.policy_requests[1],
              (unsigned long long)r.policy_requests[2]);
  std::printf("  impressions generated %llu, logged %llu (alpha %.4g outside the holdout; %llu rows in the holdout "
              "from t=%lld)\n",
              (unsigned long long)r.impressions_generated, (unsigned long long)r.impressions_logged, r.alpha,
              (unsigned long long)r.impressions_holdout, (long long)r.holdout_start);
  const double n = r.all.impressions > 0 ? static_cast<double>(r.all.impressions) : 1.0;
  std::printf("  %-11s %10s %10s\n", "rate", "truth", "sampled");
  for (int k = 0; k < sim::kEngagementTypes; ++k) {
    std::printf("  %-11s %10.5f %10.5f\n", sim::kEngagementNames[k], r.all.truth[k] / n, r.all.engaged[k] / n);
  }
  std::printf("  random slice click rate by position (sampled / truth):\n   ");
  for (size_t p = 0; p < r.random_by_position.size(); ++p) {
    const auto& s = r.random_by_position[p];
    const double m = s.impressions > 0 ? static_cast<double>(s.impressions) : 1.0;
    std::printf(" %zu:%.4f/%.4f", p + 1, s.engaged[1] / m, s.truth[1] / m);
    if (p % 5 == 4 && p + 1 < r.random_by_position.size()) std::printf("\n   ");
  }
  std::printf("\n  elapsed %s (world %s), %s\n", format_duration(r.seconds).c_str(),
              format_duration(r.world_seconds).c_str(),
              format_rate(static_cast<double>(r.impressions_generated) / r.seconds, "impressions").c_str());
}

}  // namespace

Action setup_simulate(CLI::App& sub, GlobalOptions& global) {
  auto o = std::make_shared<SimulateOptions>();
  sub.add_option("-o,--out", o->out, "Output directory (events.csv, truth.csv, items.csv, users.csv, "
                                     "examination.csv, sim.json)")
      ->required();
  sub.add_option("--config", o->config, "Simulator TOML (docs/simulator.md); unknown keys are errors");
  sub.add_option("--impressions", o->impressions, "Impressions before downsampling (default 1000000)");
  sub.add_option("--downsample", o->downsample, "Keep rate alpha of impressions without engagement (default 1)");
  sub.add_option("--holdout-days", o->holdout_days, "Last days logged in full, alpha = 1 (default 2)");
  sub.add_option("--days", o->days, "Days of traffic (default 14)");
  sub.add_option("--items", o->items, "Items (default 50000)");
  sub.add_option("--users", o->users, "Users (default 20000)");
  sub.add_option("--list-size", o->list_size, "Items shown per request, K (default 20)");
  sub.add_option("--random-fraction", o->random_fraction, "Share of uniformly random lists (default 0.05)");
  return [o, &global] {
    const RunContext ctx = global.context();
    const sim::SimConfig config = resolve_config(*o);
    const sim::SimReport report = sim::simulate(config, o->out, ctx);
    if (global.json) {
      nlohmann::json j = report.to_json();
      j["out"] = o->out;
      j["seconds"] = report.seconds;
      j["world_seconds"] = report.world_seconds;
      j["impressions_per_second"] = static_cast<double>(report.impressions_generated) / report.seconds;
      std::printf("%s\n", j.dump().c_str());
    } else if (!global.quiet) {
      print_summary(report, o->out);
    }
    return 0;
  };
}

}  // namespace reco::cli
