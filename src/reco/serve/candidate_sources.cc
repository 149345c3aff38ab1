#include "reco/serve/candidate_sources.h"

#include <charconv>
#include <set>
#include <sstream>

#include "reco/core/error.h"
#include "reco/graph/bipartite_graph.h"
#include "reco/graph/cooccurrence.h"
#include "reco/graph/pixie_walk.h"
#include "reco/retrieval/popular_source.h"
#include "reco/twotower/two_tower_source.h"

#if __has_include("reco/retrieval/embedding_source.h")
#include "reco/retrieval/embedding_source.h"
#define RECO_HAVE_EMBEDDING_SOURCE 1
#endif

namespace reco::serve {

namespace {

// A graph file and the Pixie walker over it, owned together (PixieWalk keeps a reference).
class GraphPixieSource final : public CandidateSource {
 public:
  GraphPixieSource(const std::string& path, graph::PixieOptions options)
      : graph_(graph::BipartiteGraph::load(path)), walk_(graph_, options) {}
  std::string_view name() const override { return "pixie"; }
  std::vector<Candidate> query(const CandidateRequest& request, const RunContext& ctx) const override {
    return walk_.query(request, ctx);
  }

 private:
  graph::BipartiteGraph graph_;
  graph::PixieWalk walk_;
};

template <typename T>
T number(const SourceSpec& spec, const std::string& key, T fallback) {
  auto it = spec.params.find(key);
  if (it == spec.params.end()) return fallback;
  T v{};
  const std::string& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    RECO_THROW(ErrorCode::kInvalidArgument) << "--source '" << spec.text << "': " << key << "='" << s
                                            << "' is not a number";
  return v;
}

void check_keys(const SourceSpec& spec, std::set<std::string> allowed) {
  allowed.insert("quota");
  allowed.insert("name");
  for (const auto& [k, v] : spec.params)
    if (!allowed.count(k)) {
      std::ostringstream keys;
      for (const auto& a : allowed) keys << " " << a;
      RECO_THROW(ErrorCode::kInvalidArgument) << "--source '" << spec.text << "': unknown key '" << k
                                              << "' for " << spec.kind << " (known:" << keys.str() << ")";
    }
}

}  // namespace

SourceSpec parse_source_spec(const std::string& text) {
  SourceSpec spec;
  spec.text = text;
  std::vector<std::string> parts;
  std::stringstream ss(text);
  for (std::string part; std::getline(ss, part, ',');) parts.push_back(part);
  RECO_CHECK(!parts.empty() && !parts[0].empty()) << "--source: empty spec";
  const size_t colon = parts[0].find(':');
  spec.kind = parts[0].substr(0, colon);
  if (colon != std::string::npos) spec.path = parts[0].substr(colon + 1);
  for (size_t i = 1; i < parts.size(); ++i) {
    const size_t eq = parts[i].find('=');
    if (eq == std::string::npos || eq == 0)
      RECO_THROW(ErrorCode::kInvalidArgument) << "--source '" << text << "': expected KEY=VALUE, got '" << parts[i]
                                              << "'";
    spec.params[parts[i].substr(0, eq)] = parts[i].substr(eq + 1);
  }
  static const std::set<std::string> kinds = {"pixie", "cooc", "embed", "twotower", "popular"};
  if (!kinds.count(spec.kind))
    RECO_THROW(ErrorCode::kInvalidArgument) << "--source '" << text << "': unknown kind '" << spec.kind
                                            << "' (expected pixie:G.graph, cooc:C.cooc, embed:E.embed, "
                                               "twotower:M.twotower or popular)";
  if (spec.kind == "popular") {
    RECO_CHECK(spec.path.empty()) << "--source '" << text << "': popular takes no file (it is built from --train)";
  } else {
    RECO_CHECK(!spec.path.empty()) << "--source '" << text << "': " << spec.kind << " needs a file ("
                                   << spec.kind << ":PATH)";
  }
  spec.quota = number<size_t>(spec, "quota", 0);
  auto name = spec.params.find("name");
  spec.label = name != spec.params.end() ? name->second : spec.kind;
  return spec;
}

std::shared_ptr<const CandidateSource> open_source(const SourceSpec& spec, const SourceInputs& inputs) {
  if (spec.kind == "pixie") {
    check_keys(spec, {"steps", "alpha", "walkers", "weighted"});
    graph::PixieOptions o;
    o.steps = number<uint64_t>(spec, "steps", o.steps);
    o.alpha = number<double>(spec, "alpha", o.alpha);
    o.walkers = number<int>(spec, "walkers", o.walkers);
    o.weighted = number<int>(spec, "weighted", 0) != 0;
    o.validate();
    return std::make_shared<GraphPixieSource>(spec.path, o);
  }
  if (spec.kind == "cooc") {
    check_keys(spec, {});
    return std::make_shared<graph::CoOccurrence>(graph::CoOccurrence::load(spec.path));
  }
  if (spec.kind == "popular") {
    check_keys(spec, {});
    RECO_CHECK(inputs.train != nullptr) << "--source popular needs --train (the interactions it counts)";
    return std::make_shared<PopularSource>(*inputs.train);
  }
  if (spec.kind == "twotower") {
    check_keys(spec, {"ann"});
    twotower::TwoTowerSourceOptions o;
    o.name = spec.label;
    if (auto it = spec.params.find("ann"); it != spec.params.end()) o.ann_path = it->second;
    return std::shared_ptr<const CandidateSource>(twotower::open_two_tower_source(spec.path, o));
  }
  // embed
  check_keys(spec, {"ann", "history", "recency"});
#ifdef RECO_HAVE_EMBEDDING_SOURCE
  EmbeddingSourceOptions o;
  o.max_history = number<size_t>(spec, "history", o.max_history);
  o.recency_weighting = number<int>(spec, "recency", 0) != 0;
  o.name = spec.label;
  auto it = spec.params.find("ann");
  return std::shared_ptr<const CandidateSource>(
      open_embedding_source(spec.path, it == spec.params.end() ? std::string() : it->second, o));
#else
  RECO_THROW(ErrorCode::kUnsupported) << "--source '" << spec.text
                                      << "': embedding sources are not built into this binary yet";
#endif
}

std::shared_ptr<CandidateMerger> make_merger(const std::vector<SourceSpec>& specs,
                                             const std::vector<std::shared_ptr<const CandidateSource>>& sources) {
  RECO_CHECK(specs.size() == sources.size()) << "make_merger: " << specs.size() << " specs, " << sources.size()
                                             << " sources";
  std::vector<MergeInput> inputs;
  for (size_t i = 0; i < specs.size(); ++i) inputs.push_back({sources[i], specs[i].quota, specs[i].label});
  return std::make_shared<CandidateMerger>(std::move(inputs));
}

}  // namespace reco::serve
