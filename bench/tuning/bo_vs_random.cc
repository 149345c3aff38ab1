// bench/tuning/bo_vs_random — best-so-far versus trials for the Bayesian optimizer and for
// random search on Branin (2-d) and Hartmann-6, over many seeds; writes the median curves as
// an SVG (drawn here, no plotting library) and all numbers as JSON.
//
//   reco_bench_tuning [--seeds 20] [--branin-budget 60] [--hartmann-budget 120]
//                     [--random-max 10000000] [--out bench/tuning/results]
//
// "Evaluations to 1%": the first trial whose best-so-far is within 1% of the optimum's absolute
// value (f_best <= f* + 0.01 |f*|); random search keeps sampling up to --random-max to find its
// count, BO stops at its budget (then reported as censored: "> budget").
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/core/rng.h"
#include "reco/core/timer.h"
#include "reco/tuning/bayes_optimizer.h"
#include "reco/tuning/test_functions.h"

namespace {
using reco::tuning::BayesOptimizer;
using reco::tuning::BayesOptions;
using reco::tuning::Observation;
namespace tf = reco::tuning::test_functions;

struct Problem {
  std::string name;
  size_t dims;
  double optimum;
  double (*f)(const std::vector<double>&);
  size_t budget;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * (v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - lo) * (v[hi] - v[lo]);
}

struct RunResult {
  std::vector<double> best;  // best-so-far per trial (minimization)
  double to_target = 0;      // evaluations to 1%, or +inf when not reached
};

RunResult run_bo(const Problem& p, uint64_t seed, double target) {
  BayesOptions opt;
  opt.seed = seed;
  opt.noisy = false;
  BayesOptimizer bo(p.dims, 0, opt);
  std::vector<Observation> done;
  RunResult r;
  r.to_target = INFINITY;
  double best = INFINITY;
  while (done.size() < p.budget) {
    Observation o;
    o.unit = bo.propose(done, {}, 1).front();
    const double y = p.f(o.unit);
    o.value = -y;
    done.push_back(o);
    best = std::min(best, y);
    r.best.push_back(best);
    if (best <= target && !std::isfinite(r.to_target)) r.to_target = static_cast<double>(done.size());
  }
  return r;
}

RunResult run_random(const Problem& p, uint64_t seed, double target, size_t max_evals) {
  reco::Rng rng(seed * 7919 + 17);
  RunResult r;
  r.to_target = INFINITY;
  double best = INFINITY;
  std::vector<double> x(p.dims);
  for (size_t i = 1; i <= max_evals; ++i) {
    for (auto& v : x) v = rng.uniform();
    best = std::min(best, p.f(x));
    if (i <= p.budget) r.best.push_back(best);
    if (best <= target && !std::isfinite(r.to_target)) {
      r.to_target = static_cast<double>(i);
      if (i >= p.budget) break;
    }
  }
  return r;
}

// One SVG panel: log10(best - optimum) median (and quartile band) versus trial.
std::string panel(const Problem& p, const std::vector<std::vector<double>>& bo, const std::vector<std::vector<double>>& rs,
                  double x0, double y0, double w, double h) {
  auto gap_q = [&](const std::vector<std::vector<double>>& runs, size_t t, double q) {
    std::vector<double> g;
    for (const auto& run : runs) g.push_back(std::log10(std::max(run[t] - p.optimum, 1e-8)));
    return quantile(g, q);
  };
  const double ymin = -6, ymax = 2;
  auto px = [&](double t) { return x0 + 50 + (w - 70) * t / (p.budget - 1); };
  auto py = [&](double v) { return y0 + 20 + (h - 60) * (ymax - std::clamp(v, ymin, ymax)) / (ymax - ymin); };
  std::string s;
  char buf[512];
  std::snprintf(buf, sizeof buf, "<text x='%.1f' y='%.1f' font-size='14' font-weight='bold'>%s (median, 25-75%% band)</text>\n",
                x0 + 50, y0 + 14, p.name.c_str());
  s += buf;
  // Axes and grid.
  for (int v = static_cast<int>(ymin); v <= ymax; ++v) {
    std::snprintf(buf, sizeof buf,
                  "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#ddd'/><text x='%.1f' y='%.1f' font-size='10' "
                  "text-anchor='end'>1e%d</text>\n",
                  px(0), py(v), px(p.budget - 1), py(v), px(0) - 4, py(v) + 3, v);
    s += buf;
  }
  for (size_t t = 0; t < p.budget; t += p.budget / 6) {
    std::snprintf(buf, sizeof buf, "<text x='%.1f' y='%.1f' font-size='10' text-anchor='middle'>%zu</text>\n", px(t),
                  y0 + h - 25, t + 1);
    s += buf;
  }
  std::snprintf(buf, sizeof buf,
                "<text x='%.1f' y='%.1f' font-size='11' text-anchor='middle'>trials</text>"
                "<text x='%.1f' y='%.1f' font-size='11' transform='rotate(-90 %.1f %.1f)' text-anchor='middle'>best - "
                "optimum</text>\n",
                x0 + w / 2, y0 + h - 8, x0 + 12, y0 + h / 2, x0 + 12, y0 + h / 2);
  s += buf;
  const double target = std::log10(0.01 * std::abs(p.optimum));
  std::snprintf(buf, sizeof buf,
                "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#888' stroke-dasharray='4,3'/>"
                "<text x='%.1f' y='%.1f' font-size='10' fill='#666'>1%% of optimum</text>\n",
                px(0), py(target), px(p.budget - 1), py(target), px(p.budget - 1) - 80, py(target) - 3);
  s += buf;
  auto curve = [&](const std::vector<std::vector<double>>& runs, const char* color) {
    std::string band = "<polygon fill='" + std::string(color) + "' fill-opacity='0.15' points='";
    for (size_t t = 0; t < p.budget; ++t) {
      std::snprintf(buf, sizeof buf, "%.1f,%.1f ", px(t), py(gap_q(runs, t, 0.75)));
      band += buf;
    }
    for (size_t t = p.budget; t-- > 0;) {
      std::snprintf(buf, sizeof buf, "%.1f,%.1f ", px(t), py(gap_q(runs, t, 0.25)));
      band += buf;
    }
    band += "'/>\n";
    std::string line = "<polyline fill='none' stroke-width='2' stroke='" + std::string(color) + "' points='";
    for (size_t t = 0; t < p.budget; ++t) {
      std::snprintf(buf, sizeof buf, "%.1f,%.1f ", px(t), py(gap_q(runs, t, 0.5)));
      line += buf;
    }
    return band + line + "'/>\n";
  };
  s += curve(rs, "#d62728");
  s += curve(bo, "#1f77b4");
  std::snprintf(buf, sizeof buf,
                "<text x='%.1f' y='%.1f' font-size='11' fill='#1f77b4'>Bayesian optimization</text>"
                "<text x='%.1f' y='%.1f' font-size='11' fill='#d62728'>random search</text>\n",
                x0 + w - 160, y0 + 34, x0 + w - 160, y0 + 48);
  s += buf;
  return s;
}
}  // namespace

int main(int argc, char** argv) {
  size_t seeds = 20, branin_budget = 60, hartmann_budget = 120, random_max = 10000000;
  std::string out = "bench/tuning/results";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--seeds") seeds = std::stoul(v);
    else if (k == "--branin-budget") branin_budget = std::stoul(v);
    else if (k == "--hartmann-budget") hartmann_budget = std::stoul(v);
    else if (k == "--random-max") random_max = std::stoul(v);
    else if (k == "--out") out = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  std::filesystem::create_directories(out);
  const std::vector<Problem> problems = {
      {"Branin", 2, tf::kBraninMinimum, [](const std::vector<double>& u) { return tf::branin_unit(u); }, branin_budget},
      {"Hartmann-6", 6, tf::kHartmann6Minimum, [](const std::vector<double>& u) { return tf::hartmann6(u); },
       hartmann_budget}};
  nlohmann::json report = {{"seeds", seeds}, {"random_max", random_max}, {"problems", nlohmann::json::array()}};
  std::string svg_body;
  double x0 = 0;
  for (const auto& p : problems) {
    const double target = p.optimum + 0.01 * std::abs(p.optimum);
    std::vector<std::vector<double>> bo_curves, rs_curves;
    std::vector<double> bo_hits, rs_hits;
    double seconds = 0;
    for (size_t s = 1; s <= seeds; ++s) {
      reco::Stopwatch watch;
      RunResult b = run_bo(p, s, target);
      seconds += watch.elapsed_seconds();
      RunResult r = run_random(p, s, target, random_max);
      bo_curves.push_back(b.best), rs_curves.push_back(r.best);
      bo_hits.push_back(b.to_target), rs_hits.push_back(r.to_target);
      std::fprintf(stderr, "%s seed %zu: BO best %.6f (1%% at %g), random best@%zu %.6f (1%% at %g)\n", p.name.c_str(),
                   s, b.best.back(), b.to_target, p.budget, r.best.back(), r.to_target);
    }
    auto med_json = [](const std::vector<double>& v) -> nlohmann::json {
      const double m = median(v);
      return std::isfinite(m) ? nlohmann::json(m) : nlohmann::json("censored");
    };
    nlohmann::json pj = {{"name", p.name},
                         {"optimum", p.optimum},
                         {"budget", p.budget},
                         {"target", target},
                         {"bo_evals_to_1pct_median", med_json(bo_hits)},
                         {"random_evals_to_1pct_median", med_json(rs_hits)},
                         {"bo_seconds_all_seeds", seconds},
                         {"bo_evals_to_1pct", nlohmann::json::array()},
                         {"random_evals_to_1pct", nlohmann::json::array()},
                         {"bo_median_best", nlohmann::json::array()},
                         {"random_median_best", nlohmann::json::array()}};
    for (size_t s = 0; s < seeds; ++s) {
      pj["bo_evals_to_1pct"].push_back(std::isfinite(bo_hits[s]) ? nlohmann::json(bo_hits[s]) : nlohmann::json(nullptr));
      pj["random_evals_to_1pct"].push_back(std::isfinite(rs_hits[s]) ? nlohmann::json(rs_hits[s])
                                                                     : nlohmann::json(nullptr));
    }
    for (size_t t = 0; t < p.budget; ++t) {
      std::vector<double> b, r;
      for (size_t s = 0; s < seeds; ++s) b.push_back(bo_curves[s][t]), r.push_back(rs_curves[s][t]);
      pj["bo_median_best"].push_back(median(b));
      pj["random_median_best"].push_back(median(r));
    }
    std::printf("%-10s budget %3zu  median evals to 1%%: BO %s, random %s  (BO best@budget median %.5f, optimum %.5f)\n",
                p.name.c_str(), p.budget, pj["bo_evals_to_1pct_median"].dump().c_str(),
                pj["random_evals_to_1pct_median"].dump().c_str(), pj["bo_median_best"].back().get<double>(), p.optimum);
    report["problems"].push_back(pj);
    svg_body += panel(p, bo_curves, rs_curves, x0, 0, 480, 340);
    x0 += 500;
  }
  std::ofstream(out + "/bo_vs_random.json") << report.dump(2) << "\n";
  std::ofstream svg(out + "/bo_vs_random.svg");
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << x0 << "' height='340' font-family='sans-serif'>\n"
      << "<rect width='100%' height='100%' fill='white'/>\n"
      << svg_body << "</svg>\n";
  std::printf("wrote %s/bo_vs_random.{json,svg}\n", out.c_str());
  return 0;
}
