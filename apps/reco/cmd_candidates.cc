// `reco candidates`: offline builds and online queries of the graph candidate sources.
//   build graph  --dataset D --left COL --right COL [--weight COL] | --edges E.csv  -> .graph
//   build cooc   same inputs (or --graph G), [--session-gap S --timestamp COL]    -> .cooc
//   query        --graph G | --cooc C, --items a,b,c [--weights ..] [--random-queries N]
//                or --source SPEC [--source SPEC ..] (--items .. | --user U --train T.csv)
//                [--segments S.csv --segment V]: merged, with provenance (candidate_sources.h)
// With --session-gap the left nodes are sessions: each --left value's rows cut by
// inactivity gaps on --timestamp (reco/graph/sessions.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "reco/serve/candidate_sources.h"
#include "candidates_commands.h"
#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "reco/core/timer.h"
#include "reco/data/dataset.h"
#include "reco/graph/cooccurrence.h"
#include "reco/graph/graph_builder.h"
#include "reco/graph/pixie_walk.h"
#include "reco/graph/sessions.h"
#include "reco/retrieval/candidate_eval.h"
#include "reco/retrieval/candidate_merger.h"
#include "reco/retrieval/interactions.h"

namespace reco::cli {

using serve::make_merger;
using serve::open_source;
using serve::parse_source_spec;
using serve::SourceInputs;
using serve::SourceSpec;


namespace {

using namespace reco::graph;

struct InputOpts {
  std::string dataset, edges, left = "user_id", right = "item_id", weight, timestamp = "timestamp";
  int64_t session_gap = 0;  // 0 = no sessions
};

void add_input_options(CLI::App* app, InputOpts& o) {
  app->add_option("--dataset", o.dataset, "Dataset file (reco ingest) holding the two id columns");
  app->add_option("--edges", o.edges, "Or a CSV edge list 'left,right[,weight]'");
  app->add_option("--left", o.left, "Left (group) column: board / user / session owner")->capture_default_str();
  app->add_option("--right", o.right, "Right (item) column")->capture_default_str();
  app->add_option("--weight", o.weight, "Optional f32 edge weight column");
  app->add_option("--session-gap", o.session_gap,
                  "Seconds of inactivity that end a session; > 0 makes the left nodes sessions of --left")
      ->capture_default_str();
  app->add_option("--timestamp", o.timestamp, "Timestamp column for --session-gap")->capture_default_str();
}

struct LoadedEdges {
  EdgeList edges;
  nlohmann::json meta = nlohmann::json::object();
  uint32_t sessions = 0;
};

LoadedEdges load_edges(const InputOpts& o) {
  RECO_CHECK(o.dataset.empty() != o.edges.empty()) << "give exactly one of --dataset and --edges";
  LoadedEdges out;
  if (!o.edges.empty()) {
    RECO_CHECK(o.session_gap == 0) << "--session-gap needs --dataset (a timestamp column)";
    out.edges = read_csv_edges(o.edges);
    out.meta["source"] = o.edges;
    return out;
  }
  const Dataset data = Dataset::open(o.dataset);
  out.meta["source"] = o.dataset;
  out.edges = read_dataset_edges(data, o.left, o.right, o.weight);
  if (o.session_gap > 0) {
    if (!data.has(o.timestamp))
      RECO_THROW(ErrorCode::kNotFound) << o.dataset << ": no column '" << o.timestamp
                                       << "' (--timestamp, needed by --session-gap)";
    const auto ts_all = data.i64(o.timestamp);
    const auto lcol = data.u32(o.left);
    const auto rcol = data.u32(o.right);
    // Keep the rows read_dataset_edges kept (both ids in vocabulary).
    std::vector<int64_t> ts;
    std::vector<uint32_t> users;
    ts.reserve(out.edges.size());
    users.reserve(out.edges.size());
    size_t e = 0;
    for (size_t r = 0; r < lcol.size() && e < out.edges.size(); ++r) {
      if (lcol[r] != out.edges.left[e] || rcol[r] != out.edges.right[e]) continue;
      users.push_back(lcol[r]);
      ts.push_back(ts_all[r]);
      ++e;
    }
    RECO_ASSERT(users.size() == out.edges.size()) << "session rows";
    const Sessions s = cut_sessions(users, static_cast<uint32_t>(out.edges.left_ids.size()), ts, o.session_gap);
    out.edges.left = s.session_of_row;
    out.edges.left_ids.resize(s.count);
    for (uint32_t i = 0; i < s.count; ++i) out.edges.left_ids[i] = i;
    out.edges.left_name = "session(" + o.left + ", " + o.timestamp + ", gap " + std::to_string(o.session_gap) + "s)";
    out.sessions = s.count;
    out.meta["sessions"] = s.count;
    out.meta["session_gap"] = o.session_gap;
  }
  return out;
}

std::vector<uint64_t> parse_ids(const std::string& text) {
  std::vector<uint64_t> ids;
  std::stringstream ss(text);
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    try {
      size_t pos = 0;
      ids.push_back(std::stoull(tok, &pos));
      RECO_CHECK(pos == tok.size()) << "";
    } catch (...) {
      RECO_THROW(ErrorCode::kInvalidArgument) << "--items: '" << tok << "' is not an unsigned integer id";
    }
  }
  return ids;
}

std::vector<float> parse_weights(const std::string& text) {
  std::vector<float> w;
  std::stringstream ss(text);
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    try {
      w.push_back(std::stof(tok));
    } catch (...) {
      RECO_THROW(ErrorCode::kInvalidArgument) << "--weights: '" << tok << "' is not a number";
    }
  }
  return w;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(std::ceil(p * v.size())) - (p > 0 ? 1 : 0));
  return v[i];
}

void print_graph_report(const GraphBuildReport& r, const std::string& out, double edges_per_s) {
  std::printf("graph -> %s\n", out.c_str());
  std::printf("  left nodes %u  right nodes %u  edges %llu\n", r.left_nodes, r.right_nodes,
              (unsigned long long)r.edges);
  std::printf("  input edges %llu  (rows skipped %llu, duplicates merged %llu)\n", (unsigned long long)r.input_edges,
              (unsigned long long)r.skipped_rows, (unsigned long long)r.duplicates_merged);
  std::printf("  edges below min weight %llu\n", (unsigned long long)r.edges_below_min_weight);
  std::printf("  left nodes over degree cap %llu  right nodes over degree cap %llu  (edges removed %llu)\n",
              (unsigned long long)r.left_over_degree, (unsigned long long)r.right_over_degree,
              (unsigned long long)r.edges_removed_by_degree);
  std::printf("  isolated nodes dropped: left %llu  right %llu\n", (unsigned long long)r.left_isolated,
              (unsigned long long)r.right_isolated);
  std::printf("  build %.3f s  (%.3g input edges/s)\n", r.seconds, edges_per_s);
}

Action setup_build_graph(CLI::App* app, GlobalOptions& global) {
  struct Opts {
    InputOpts in;
    GraphBuildOptions opt;
    std::string out;
  };
  auto o = std::make_shared<Opts>();
  add_input_options(app, o->in);
  app->add_option("--max-degree", o->opt.max_left_degree, "Remove left nodes (boards/users) with more neighbours")
      ->capture_default_str();
  app->add_option("--max-item-degree", o->opt.max_right_degree, "Remove right nodes (items) with more neighbours")
      ->capture_default_str();
  app->add_option("--min-weight", o->opt.min_weight, "Drop merged edges lighter than this")->capture_default_str();
  app->add_option("-o,--out", o->out, "Output graph file")->required();
  return [o, &global] {
    Stopwatch total;
    LoadedEdges in = load_edges(o->in);
    const double read_s = total.elapsed_seconds();
    GraphBuildReport rep;
    const BipartiteGraph g = build_graph(in.edges, o->opt, &rep, in.meta);
    g.save(o->out);
    const double eps = rep.seconds > 0 ? rep.input_edges / rep.seconds : 0.0;
    if (global.json) {
      nlohmann::json j = {{"out", o->out},           {"report", rep.to_json()}, {"read_seconds", read_s},
                          {"edges_per_second", eps}, {"meta", g.meta()},       {"seconds", total.elapsed_seconds()}};
      std::printf("%s\n", j.dump().c_str());
    } else if (!global.quiet) {
      print_graph_report(rep, o->out, eps);
      std::printf("  read %.3f s, total %.3f s\n", read_s, total.elapsed_seconds());
    }
    return 0;
  };
}

Action setup_build_cooc(CLI::App* app, GlobalOptions& global) {
  struct Opts {
    InputOpts in;
    std::string graph, out, rank_by = "cosine", group_weight = "log";
    CoocOptions opt;
  };
  auto o = std::make_shared<Opts>();
  add_input_options(app, o->in);
  app->add_option("--graph", o->graph, "Or an existing graph file (its left nodes are the groups)");
  app->add_option("--topk", o->opt.top_k, "Neighbours kept per item")->capture_default_str();
  app->add_option("--max-group", o->opt.max_group_size, "Groups with more items are skipped (0 = no limit)")
      ->capture_default_str();
  app->add_flag("--sample-large", o->opt.sample_large_groups, "Sample --max-group items of larger groups instead");
  app->add_option("--rank-by", o->rank_by, "cosine | count")->capture_default_str();
  app->add_option("--min-count", o->opt.min_count, "Pairs seen fewer times are not kept")->capture_default_str();
  app->add_option("--group-weight", o->group_weight,
                  "log: a group of m items adds 1/log2(1+m) to each pair's cosine (inverse user frequency) | none")
      ->capture_default_str();
  app->add_option("-o,--out", o->out, "Output co-occurrence file")->required();
  return [o, &global] {
    const RunContext ctx = global.context();
    RECO_CHECK(o->rank_by == "cosine" || o->rank_by == "count")
        << "--rank-by: expected 'cosine' or 'count', got '" << o->rank_by << "'";
    o->opt.rank_by = o->rank_by == "count" ? CoocScore::kCount : CoocScore::kCosine;
    o->opt.group_weighting = parse_cooc_weighting(o->group_weight);
    Stopwatch total;
    std::optional<BipartiteGraph> g;
    nlohmann::json meta = nlohmann::json::object();
    uint32_t sessions = 0;
    if (!o->graph.empty()) {
      RECO_CHECK(o->in.dataset.empty() && o->in.edges.empty()) << "give --graph or --dataset/--edges, not both";
      g.emplace(BipartiteGraph::load(o->graph));
      meta["source"] = o->graph;
    } else {
      LoadedEdges in = load_edges(o->in);
      sessions = in.sessions;
      meta = in.meta;
      g.emplace(build_graph(in.edges, {}, nullptr, in.meta));
    }
    meta["left"] = g->meta().value("left", "");
    meta["right"] = g->meta().value("right", "");
    CoocReport rep;
    const CoOccurrence c = CoOccurrence::build(*g, o->opt, ctx, &rep, meta);
    c.save(o->out);
    if (global.json) {
      nlohmann::json j = {{"out", o->out},       {"report", rep.to_json()}, {"groups", g->left_count()},
                          {"sessions", sessions}, {"edges", g->edge_count()}, {"seconds", total.elapsed_seconds()}};
      std::printf("%s\n", j.dump().c_str());
    } else if (!global.quiet) {
      std::printf("co-occurrence -> %s\n", o->out.c_str());
      std::printf("  groups %u%s  items %u  edges %llu\n", g->left_count(), sessions ? " (sessions)" : "",
                  rep.items, (unsigned long long)g->edge_count());
      std::printf("  groups skipped (> %u items) %llu  sampled %llu\n", o->opt.max_group_size,
                  (unsigned long long)rep.groups_skipped, (unsigned long long)rep.groups_sampled);
      std::printf("  pair increments %llu  neighbours kept %llu (top %u by %s)\n",
                  (unsigned long long)rep.pairs_counted, (unsigned long long)rep.neighbors_kept, o->opt.top_k,
                  o->rank_by.c_str());
      std::printf("  build %.3f s (threads %d), total %.3f s\n", rep.seconds, ctx.threads, total.elapsed_seconds());
    }
    return 0;
  };
}

nlohmann::json candidates_json(const std::vector<Candidate>& c) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& x : c) a.push_back({{"item", x.item}, {"score", x.score}, {"source", x.source}});
  return a;
}

// `query --source ...`: one merger over the given sources (a single source is merged too, so
// the output always carries provenance).
template <typename Opts>
int query_sources(const Opts& o, const GlobalOptions& global) {
  const RunContext ctx = global.context();
  RECO_CHECK(o.graph.empty() && o.cooc.empty()) << "give --source or --graph/--cooc, not both";
  RECO_CHECK(o.random_queries == 0) << "--random-queries works with --graph/--cooc only";
  RECO_CHECK((o.user != kNoUser) != !o.items.empty()) << "give exactly one of --user and --items with --source";
  Stopwatch load;
  std::vector<Interaction> train;
  if (!o.train.empty()) train = read_interactions(o.train);
  CandidateRequest req;
  req.k = o.k;
  if (o.user != kNoUser) {
    RECO_CHECK(!o.train.empty()) << "--user needs --train (the interactions CSV holding the user's history)";
    auto lo = std::lower_bound(train.begin(), train.end(), o.user,
                               [](const Interaction& r, uint64_t u) { return r.user < u; });
    auto hi = lo;
    while (hi != train.end() && hi->user == o.user) ++hi;
    RECO_CHECK(lo != hi) << "--user " << o.user << ": no rows in " << o.train;
    user_history(std::span<const Interaction>(&*lo, static_cast<size_t>(hi - lo)), req.items, req.weights);
    req.user = o.user;
    auto seen = std::make_shared<std::vector<uint64_t>>(req.items);
    std::sort(seen->begin(), seen->end());
    req.filter = [seen](uint64_t item) { return !std::binary_search(seen->begin(), seen->end(), item); };
  } else {
    req.items = parse_ids(o.items);
    if (!o.weights.empty()) req.weights = parse_weights(o.weights);
    RECO_CHECK(req.weights.empty() || req.weights.size() == req.items.size())
        << "--weights: " << req.weights.size() << " weights for " << req.items.size() << " items";
  }
  std::vector<SourceSpec> specs;
  std::vector<std::shared_ptr<const CandidateSource>> sources;
  const SourceInputs inputs{o.train.empty() ? nullptr : &train};
  for (const auto& text : o.sources) {
    specs.push_back(parse_source_spec(text));
    sources.push_back(open_source(specs.back(), inputs));
  }
  const auto merger = make_merger(specs, sources);
  RECO_CHECK(o.segments.empty() == o.segment.empty()) << "--segments and --segment go together";
  if (!o.segments.empty())
    merger->restrict_to_segment(std::make_shared<SegmentTable>(SegmentTable::load(o.segments, o.segment_column)),
                                o.segment);
  const double load_s = load.elapsed_seconds();
  Stopwatch w;
  const auto out = merger->query_merged(req, ctx);
  const double s = w.elapsed_seconds();
  if (global.json) {
    nlohmann::json j = {{"sources", o.sources}, {"load_seconds", load_s}, {"query_ms", s * 1000.0},
                        {"items", req.items},   {"k", req.k},             {"candidates", merged_json(*merger, out)}};
    if (o.user != kNoUser) j["user"] = o.user;
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf("%zu merged candidates from %zu source(s) for %s (%.3f ms)\n", out.size(), specs.size(),
              o.user != kNoUser ? ("user " + std::to_string(o.user)).c_str() : o.items.c_str(), s * 1000.0);
  for (size_t i = 0; i < out.size(); ++i) {
    std::printf("  %3zu  %-20llu  via %-10s", i + 1, (unsigned long long)out[i].item,
                merger->label(out[i].placed_by).c_str());
    for (const auto& p : out[i].provenance)
      std::printf("  %s#%u(%.4g)", merger->label(p.input).c_str(), p.rank, p.score);
    std::printf("\n");
  }
  return 0;
}

Action setup_query(CLI::App* app, GlobalOptions& global) {
  struct Opts {
    std::string graph, cooc, items, weights, early;
    PixieOptions pixie;
    size_t k = 20;
    uint32_t random_queries = 0;
    std::vector<std::string> sources;
    std::string train, segments, segment_column, segment;
    uint64_t user = kNoUser;
  };
  auto o = std::make_shared<Opts>();
  app->add_option("--graph", o->graph, "Graph file: Pixie random walk with restart");
  app->add_option("--cooc", o->cooc, "Co-occurrence file");
  app->add_option("--items", o->items, "Query item ids, comma-separated");
  app->add_option("--weights", o->weights, "One weight per query item (default 1)");
  app->add_option("--k", o->k, "Candidates returned")->capture_default_str();
  app->add_option("--steps", o->pixie.steps, "Pixie: total walk steps")->capture_default_str();
  app->add_option("--alpha", o->pixie.alpha, "Pixie: restart probability per step")->capture_default_str();
  app->add_option("--early-stop", o->early, "Pixie: 'n_p,n_v' stop once n_p items have n_v visits");
  app->add_flag("--weighted", o->pixie.weighted, "Pixie: sample neighbours by edge weight");
  app->add_option("--walkers", o->pixie.walkers, "Pixie: interleaved walks per thread (0 = auto by graph size)")
      ->capture_default_str();
  app->add_option("--random-queries", o->random_queries,
                  "Benchmark: N single-item queries from random items; reports p50/p99 latency and steps/s")
      ->capture_default_str();
  app->add_option("--source", o->sources,
                  "Source spec (repeatable; several are merged with their quota=N): pixie:G.graph[,steps=N,alpha=A] | "
                  "cooc:C.cooc | embed:E.embed[,ann=A.ann] | twotower:M.twotower[,ann=A.ann] | popular (candidate_sources.h)");
  app->add_option("--user", o->user, "With --source: query with this user's training items from --train");
  app->add_option("--train", o->train, "Interactions CSV: the --user histories and the popular source");
  app->add_option("--segments", o->segments, "With --source: item segment CSV 'item,value' (header allowed)");
  app->add_option("--segment-column", o->segment_column, "Named value column of a headed --segments file");
  app->add_option("--segment", o->segment, "Keep only items whose segment value is this");
  return [o, &global] {
    const RunContext ctx = global.context();
    if (!o->sources.empty()) return query_sources(*o, global);
    RECO_CHECK(o->graph.empty() != o->cooc.empty()) << "give exactly one of --graph and --cooc (or --source)";
    RECO_CHECK(o->random_queries > 0 || !o->items.empty()) << "give --items (or --random-queries N)";
    if (!o->early.empty()) {
      const auto v = parse_ids(o->early);
      RECO_CHECK(v.size() == 2) << "--early-stop: expected 'n_p,n_v', got '" << o->early << "'";
      o->pixie.n_p = static_cast<uint32_t>(v[0]);
      o->pixie.n_v = static_cast<uint32_t>(v[1]);
    }
    CandidateRequest req;
    if (!o->items.empty()) req.items = parse_ids(o->items);
    if (!o->weights.empty()) req.weights = parse_weights(o->weights);
    RECO_CHECK(req.weights.empty() || req.weights.size() == req.items.size())
        << "--weights: " << req.weights.size() << " weights for " << req.items.size() << " items";
    req.k = o->k;
    Stopwatch load;
    std::optional<BipartiteGraph> graph;
    std::optional<CoOccurrence> cooc;
    std::unique_ptr<CandidateSource> owned;
    const CandidateSource* source = nullptr;
    std::unique_ptr<PixieWalk> pixie;
    std::vector<uint64_t> universe;
    if (!o->graph.empty()) {
      graph.emplace(BipartiteGraph::load(o->graph));
      pixie = std::make_unique<PixieWalk>(*graph, o->pixie);
      source = pixie.get();
      universe.assign(graph->right_ids().begin(), graph->right_ids().end());
    } else {
      cooc.emplace(CoOccurrence::load(o->cooc));
      source = &*cooc;
      for (uint32_t i = 0; i < cooc->item_count(); ++i) universe.push_back(cooc->item_id(i));
    }
    const double load_s = load.elapsed_seconds();
    nlohmann::json j = {{"source", std::string(source->name())}, {"load_seconds", load_s}};

    if (o->random_queries > 0) {
      RECO_CHECK(!universe.empty()) << "the file has no items";
      Rng rng(derive_seed(ctx.seed, 0x51));
      std::vector<double> ms;
      uint64_t steps = 0;
      double walk_s = 0;
      for (uint32_t q = 0; q < o->random_queries; ++q) {
        CandidateRequest r1;
        r1.items = {universe[rng.below(universe.size())]};
        r1.k = o->k;
        Stopwatch w;
        if (pixie) {
          const PixieResult res = pixie->walk(r1.items, {}, ctx);
          const auto top = pixie_top(*graph, res, r1.k);
          steps += res.total_steps();
        } else {
          (void)source->query(r1, ctx);
        }
        ms.push_back(w.elapsed_ms());
        walk_s += ms.back() / 1000.0;
      }
      j["queries"] = o->random_queries;
      j["p50_ms"] = percentile(ms, 0.5);
      j["p99_ms"] = percentile(ms, 0.99);
      j["mean_ms"] = walk_s * 1000.0 / o->random_queries;
      j["threads"] = ctx.threads;
      if (pixie) {
        j["steps"] = steps;
        j["steps_per_second"] = walk_s > 0 ? steps / walk_s : 0.0;
        j["steps_per_second_per_thread"] = walk_s > 0 ? steps / walk_s / ctx.threads : 0.0;
      }
      if (global.json) {
        std::printf("%s\n", j.dump().c_str());
      } else {
        std::printf("%s: %u random single-item queries (k %zu, threads %d)\n", source->name().data(),
                    o->random_queries, o->k, ctx.threads);
        std::printf("  latency p50 %.3f ms  p99 %.3f ms  mean %.3f ms\n", j["p50_ms"].get<double>(),
                    j["p99_ms"].get<double>(), j["mean_ms"].get<double>());
        if (pixie)
          std::printf("  %llu steps, %.3g steps/s (%.3g per thread)\n", (unsigned long long)steps,
                      j["steps_per_second"].get<double>(), j["steps_per_second_per_thread"].get<double>());
      }
      return 0;
    }

    Stopwatch w;
    std::vector<Candidate> out;
    if (pixie) {
      const PixieResult res = pixie->walk(req.items, req.weights, ctx);
      for (const auto& [node, score] : pixie_top(*graph, res, req.k))
        out.push_back({graph->right_id(node), static_cast<float>(score), candidate_source::kPixie});
      const double s = w.elapsed_seconds();
      j["steps"] = res.total_steps();
      j["steps_allocated"] = res.steps_allocated;
      j["steps_walked"] = res.steps_walked;
      j["skipped_queries"] = res.skipped_queries;
      j["steps_per_second"] = s > 0 ? res.total_steps() / s : 0.0;
    } else {
      out = source->query(req, ctx);
    }
    const double s = w.elapsed_seconds();
    j["query_ms"] = s * 1000.0;
    j["items"] = req.items;
    j["candidates"] = candidates_json(out);
    if (global.json) {
      std::printf("%s\n", j.dump().c_str());
      return 0;
    }
    std::printf("%s candidates for %s (%.3f ms", source->name().data(), o->items.c_str(), s * 1000.0);
    if (pixie)
      std::printf(", %llu steps, %.3g steps/s", (unsigned long long)j["steps"].get<uint64_t>(),
                  j["steps_per_second"].get<double>());
    std::printf(")\n");
    if (out.empty()) std::printf("  (none: unknown or isolated query items)\n");
    for (size_t i = 0; i < out.size(); ++i)
      std::printf("  %3zu  %-20llu  %.6g\n", i + 1, (unsigned long long)out[i].item, out[i].score);
    return 0;
  };
}

}  // namespace

Action setup_candidates(CLI::App& sub, GlobalOptions& global) {
  sub.require_subcommand(1);
  CLI::App* build = sub.add_subcommand("build", "Build a candidate source artifact");
  build->require_subcommand(1);
  // (subcommand, action) in registration order; the one CLI11 parsed runs.
  auto table = std::make_shared<std::vector<std::pair<CLI::App*, Action>>>();
  auto add = [&](CLI::App* parent, const char* name, const char* help, auto setup) {
    CLI::App* app = parent->add_subcommand(name, help);
    table->emplace_back(app, setup(app, global));
  };
  add(build, "graph", "Bipartite graph (CSR both ways) for Pixie walks", setup_build_graph);
  add(build, "cooc", "Item co-occurrence over boards/users/sessions", setup_build_cooc);
  add(build, "item2vec", "item2vec / Pin2Vec: skip-gram with negative sampling over sessions",
      setup_candidates_build_item2vec);
  add(build, "hoprec", "HOP-Rec: higher-order user-item pairs from walks, factorized with a ranking loss",
      setup_candidates_build_hoprec);
  add(build, "twotower", "Two-tower retrieval trained with in-batch softmax negatives",
      setup_candidates_build_twotower);
  add(build, "import", "Embeddings file from text vectors (one 'id v1 .. vd' per line; word2vec/SMORe layout)",
      setup_candidates_build_import);
  add(build, "ann", "ANN index (hnswlib) over an embeddings file", setup_candidates_build_ann);
  add(&sub, "query", "Candidates for query items (or a user)", setup_query);
  add(&sub, "split", "Train/test interaction split files for candidate evaluation", setup_candidates_split);
  add(&sub, "eval", "Recall/NDCG/HR/coverage of candidate sources on held-out interactions",
      setup_candidates_eval);
  return [table]() -> int {
    for (auto& [app, action] : *table)
      if (app->parsed()) return action();
    RECO_THROW(ErrorCode::kInvalidArgument) << "reco candidates: give a subcommand (see --help)";
  };
}

}  // namespace reco::cli
