#include "reco/serve/engine.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#include "reco/core/error.h"
#include "reco/core/timer.h"
#include "reco/memboost/counters.h"
#include "reco/memboost/memboost_store.h"
#include "reco/memboost/position_priors.h"
#include "reco/models/model_file.h"
#include "reco/nn/loss.h"
#include "reco/nn/blas.h"
#include "reco/nn/fused_linear.h"
#include "reco/retrieval/candidate_eval.h"
#include "reco/retrieval/candidate_merger.h"
#include "reco/retrieval/interactions.h"
#include "reco/retrieval/popular_source.h"
#include "reco/serve/bundle.h"
#include "reco/serve/candidate_sources.h"
#include "reco/serve/entity_table.h"
#include "reco/serve/feature_assembler.h"
#include "reco/serve/feature_plan.h"

namespace reco::serve {

namespace fs = std::filesystem;

struct Engine::Impl {
  std::string dir, version;
  nlohmann::json manifest;
  std::optional<models::LoadedModel> loaded;
  // The ranker never changes once loaded (a reload builds a new Engine): each serving thread packs
  // its dense weights for the matmul kernels on its first request, not on every request.
  uint64_t frozen_weights = nn::FrozenWeights::new_id();
  FeaturePlan plan;
  EntityTable items, users;
  bool has_users = false;
  std::vector<Interaction> train;
  std::unordered_map<uint64_t, std::pair<size_t, size_t>> history;  // user -> [lo, hi) rows of train
  std::vector<SourceSpec> specs;
  std::vector<std::shared_ptr<const CandidateSource>> sources;
  std::shared_ptr<CandidateMerger> merger;
  std::shared_ptr<const PopularSource> popular;
  std::optional<memboost::PositionPriors> priors;
  std::unique_ptr<FeatureAssembler> assembler;
  std::vector<std::string> heads;
  std::vector<double> weights;
  size_t default_candidates = 1000;
  RunContext ctx;

  Response rank(const RequestKeys& keys, std::vector<uint64_t> candidates,
                std::vector<std::vector<std::string>> provenance, const std::vector<double>& weights, size_t k,
                bool explain, const memboost::MemboostStore* store, Response r, Stopwatch& total) const;
  std::function<bool(uint64_t)> segment_filter(const std::map<std::string, std::vector<std::string>>& filter) const;
};

Engine::Engine() : impl_(std::make_unique<Impl>()) {}
Engine::~Engine() = default;

const std::string& Engine::dir() const { return impl_->dir; }
const std::string& Engine::version() const { return impl_->version; }
const nlohmann::json& Engine::manifest() const { return impl_->manifest; }
const std::vector<std::string>& Engine::heads() const { return impl_->heads; }
const std::vector<double>& Engine::default_weights() const { return impl_->weights; }
const memboost::PositionPriors* Engine::priors() const { return impl_->priors ? &*impl_->priors : nullptr; }

std::string Engine::memboost_seed() const {
  const auto& mb = impl_->manifest["memboost"];
  if (mb.is_null() || mb["store"].is_null()) return "";
  return (fs::path(impl_->dir) / mb["store"].get<std::string>()).string();
}

std::shared_ptr<const Engine> Engine::load(const std::string& dir, const RunContext& ctx) {
  std::shared_ptr<Engine> e(new Engine());
  Impl& m = *e->impl_;
  m.dir = dir;
  m.ctx = ctx;
  m.manifest = verify_bundle(dir);
  m.version = m.manifest["version"].get<std::string>();
  const fs::path root(dir);
  m.loaded.emplace(models::load_model((root / "ranker.model").string()));
  m.heads = m.loaded->scoring.heads;
  m.weights = m.loaded->scoring.weights;
  try {
    m.plan = FeaturePlan::from_json(nlohmann::json::parse(std::ifstream((root / "features.json").string())));
  } catch (const nlohmann::json::exception& ex) {
    RECO_THROW(ErrorCode::kCorrupt) << dir << "/features.json: " << ex.what();
  }
  m.items = EntityTable::load((root / "items.table").string());
  std::error_code ec;
  if (fs::exists(root / "users.table", ec)) {
    m.users = EntityTable::load((root / "users.table").string());
    m.has_users = true;
  }
  if (fs::exists(root / "interactions.csv", ec)) {
    m.train = read_interactions((root / "interactions.csv").string());
    for (size_t lo = 0; lo < m.train.size();) {
      size_t hi = lo;
      while (hi < m.train.size() && m.train[hi].user == m.train[lo].user) ++hi;
      m.history.emplace(m.train[lo].user, std::make_pair(lo, hi));
      lo = hi;
    }
    m.popular = std::make_shared<PopularSource>(m.train);
  }
  const SourceInputs inputs{m.train.empty() ? nullptr : &m.train};
  for (const auto& s : m.manifest.value("sources", nlohmann::json::array())) {
    SourceSpec spec = parse_source_spec(s.at("spec").get<std::string>());
    if (!spec.path.empty()) spec.path = (root / spec.path).string();
    if (auto it = spec.params.find("ann"); it != spec.params.end()) it->second = (root / it->second).string();
    m.sources.push_back(open_source(spec, inputs));
    m.specs.push_back(std::move(spec));
  }
  if (!m.sources.empty()) m.merger = make_merger(m.specs, m.sources);
  m.default_candidates = m.manifest.value("candidates", size_t{1000});
  if (!m.manifest["memboost"].is_null())
    m.priors.emplace(memboost::PositionPriors::load((root / m.manifest["memboost"]["priors"].get<std::string>()).string()));
  m.assembler = std::make_unique<FeatureAssembler>(m.plan, m.loaded->model.features(), m.items,
                                                   m.has_users ? &m.users : nullptr);
  return e;
}

std::vector<double> Engine::merge_weights(const std::vector<double>& base,
                                          const std::map<std::string, double>& named) const {
  std::vector<double> w = base;
  for (const auto& [name, value] : named) {
    const auto it = std::find(impl_->heads.begin(), impl_->heads.end(), name);
    if (it == impl_->heads.end()) {
      std::string list;
      for (const auto& h : impl_->heads) list += (list.empty() ? "" : ", ") + h;
      RECO_THROW(ErrorCode::kInvalidArgument) << "weights." << name << ": unknown head (heads: " << list << ")";
    }
    RECO_REQUIRE(std::isfinite(value)) << "weights." << name << ": not a finite number";
    w[it - impl_->heads.begin()] = value;
  }
  return w;
}

std::function<bool(uint64_t)> Engine::Impl::segment_filter(
    const std::map<std::string, std::vector<std::string>>& filter) const {
  if (filter.empty()) return {};
  struct Clause {
    const EntityColumn* column;
    std::unordered_set<std::string> values;
  };
  auto clauses = std::make_shared<std::vector<Clause>>();
  for (const auto& [name, values] : filter) {
    const EntityColumn* c = items.column(name);
    if (!c) c = items.column("item_" + name);
    if (!c) {
      std::string list;
      for (const auto& col : items.columns()) list += (list.empty() ? "" : ", ") + col.name;
      RECO_THROW(ErrorCode::kInvalidArgument) << "filter." << name << ": no such item attribute (attributes: " << list
                                              << ")";
    }
    clauses->push_back({c, std::unordered_set<std::string>(values.begin(), values.end())});
  }
  const EntityTable* table = &items;
  return [clauses, table](uint64_t item) {
    const uint32_t row = table->row(item);
    if (row == kMissingEntity) return false;
    for (const auto& cl : *clauses) {
      std::string v;
      if (cl.column->categorical) {
        v = cl.column->token(cl.column->ids[row]);
      } else {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", cl.column->dense[row]);
        v = buf;
      }
      if (!cl.values.count(v)) return false;
    }
    return true;
  };
}

Response Engine::recommend(const RecommendRequest& req, const std::vector<double>& weights,
                           const memboost::MemboostStore* store) const {
  const Impl& m = *impl_;
  Stopwatch total;
  RECO_REQUIRE(req.user || req.query_item) << "user: give a user id, a query item id, or both";
  RECO_REQUIRE(req.k >= 1 && req.k <= 1000) << "k: expected 1..1000, got " << req.k;
  Response r;
  r.bundle_version = m.version;
  const size_t want = req.candidates ? req.candidates : std::max(m.default_candidates, req.k);
  RECO_REQUIRE(want <= 10000) << "candidates: expected 0..10000, got " << want;

  // 1. Candidates.
  Stopwatch sw;
  CandidateRequest cr;
  cr.k = want;
  if (req.user) cr.user = *req.user;
  std::vector<uint64_t> seen;
  if (req.query_item) {
    cr.items = {*req.query_item};
    if (m.items.row(*req.query_item) == kMissingEntity)
      r.notes.push_back("query item " + std::to_string(*req.query_item) + " is not in the bundle");
  } else if (auto it = m.history.find(*req.user); it != m.history.end()) {
    user_history(std::span<const Interaction>(m.train.data() + it->second.first, it->second.second - it->second.first),
                 cr.items, cr.weights);
    seen = cr.items;
    std::sort(seen.begin(), seen.end());
  } else {
    r.notes.push_back("user " + std::to_string(*req.user) + " has no history in the bundle: popular items only");
  }
  const auto segment = m.segment_filter(req.filter);
  cr.filter = [&seen, &segment](uint64_t item) {
    if (!seen.empty() && std::binary_search(seen.begin(), seen.end(), item)) return false;
    return !segment || segment(item);
  };
  std::vector<uint64_t> candidates;
  std::vector<std::vector<std::string>> provenance;
  std::unordered_set<uint64_t> taken;
  nlohmann::json by_source = nlohmann::json::object();
  if (m.merger && !cr.items.empty()) {
    std::shared_ptr<CandidateMerger> merger = m.merger;
    if (!req.quotas.empty()) {
      std::vector<MergeInput> inputs = m.merger->inputs();
      for (const auto& [label, quota] : req.quotas) {
        bool found = false;
        for (size_t i = 0; i < inputs.size(); ++i)
          if (m.merger->label(i) == label) inputs[i].quota = quota, found = true;
        RECO_REQUIRE(found) << "quotas." << label << ": no candidate source with that label";
      }
      merger = std::make_shared<CandidateMerger>(std::move(inputs));
    }
    for (const auto& c : merger->query_merged(cr, m.ctx)) {
      candidates.push_back(c.item);
      taken.insert(c.item);
      std::vector<std::string> labels;
      for (const auto& p : c.provenance) labels.push_back(merger->label(p.input));
      for (const auto& l : labels) by_source[l] = by_source.value(l, 0) + 1;
      provenance.push_back(std::move(labels));
    }
  }
  if (candidates.size() < want && m.popular) {
    CandidateRequest pr = cr;
    pr.k = want - candidates.size() + taken.size();
    size_t added = 0;
    for (const auto& c : m.popular->query(pr, m.ctx)) {
      if (candidates.size() >= want) break;
      if (!taken.insert(c.item).second) continue;
      candidates.push_back(c.item);
      provenance.push_back({"popular"});
      ++added;
    }
    if (added) by_source["popular_fallback"] = added;
  }
  r.stage_ms["candidates"] = sw.elapsed_seconds() * 1e3;
  if (candidates.empty()) r.notes.push_back("no candidates (sources empty, or the filter removed every item)");
  RequestKeys keys{req.user, req.query_item, &req.context};
  r = m.rank(keys, std::move(candidates), std::move(provenance), weights, req.k, req.explain, store, std::move(r), total);
  if (req.explain) r.explain["candidates"] = {{"wanted", want}, {"by_source", by_source}, {"history_items", seen.size()}};
  return r;
}

Response Engine::score(const ScoreRequest& req, const std::vector<double>& weights,
                       const memboost::MemboostStore* store) const {
  Stopwatch total;
  RECO_REQUIRE(!req.items.empty() && req.items.size() <= 10000)
      << "items: expected 1..10000 item ids, got " << req.items.size();
  Response r;
  r.bundle_version = impl_->version;
  r.stage_ms["candidates"] = 0.0;
  std::vector<std::vector<std::string>> provenance(req.items.size(), std::vector<std::string>{"request"});
  RequestKeys keys{req.user, req.query_item, &req.context};
  return impl_->rank(keys, req.items, std::move(provenance), weights, req.items.size(), req.explain, store,
                     std::move(r), total);
}

Response Engine::Impl::rank(const RequestKeys& keys, std::vector<uint64_t> candidates,
                            std::vector<std::vector<std::string>> provenance, const std::vector<double>& w, size_t k,
                            bool explain, const memboost::MemboostStore* store, Response r, Stopwatch& total) const {
  r.heads = heads;
  r.weights = w;
  const size_t n = candidates.size();
  const size_t nt = heads.size();
  thread_local AssemblyScratch scratch;
  Stopwatch sw;
  std::vector<double> memboost_scores;
  const double mb_ms = assembler->assemble(keys, candidates, store, scratch,
                                           memboost_scores, explain ? &r.explain : nullptr);
  r.stage_ms["memboost"] = mb_ms;
  r.stage_ms["features"] = sw.elapsed_seconds() * 1e3 - mb_ms;
  sw.restart();
  thread_local models::ModelWorkspace ws;
  std::vector<float> p(n * nt);
  if (n > 0) {
    nn::use_single_threaded_blas();
    loaded->model.infer(scratch.batch, 0, n, ws, p, frozen_weights);
    nn::multitask_probabilities(nn::MatrixView{p.data(), n, nt, nt}, loaded->model.spec().chained());
    loaded->scoring.calibrate(p);
  }
  std::vector<double> utility(n);
  for (size_t i = 0; i < n; ++i) utility[i] = models::HeadScoring::utility(&p[i * nt], w);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  const size_t top = std::min(k, n);
  std::partial_sort(order.begin(), order.begin() + top, order.end(), [&](size_t a, size_t b) {
    if (utility[a] != utility[b]) return utility[a] > utility[b];
    return candidates[a] < candidates[b];
  });
  r.stage_ms["rank"] = sw.elapsed_seconds() * 1e3;
  uint64_t unknown = 0;
  for (size_t j = 0; j < top; ++j) {
    const size_t i = order[j];
    ScoredItem s;
    s.item = candidates[i];
    s.utility = utility[i];
    s.heads.assign(p.begin() + i * nt, p.begin() + (i + 1) * nt);
    s.sources = std::move(provenance[i]);
    s.memboost = memboost_scores.empty() ? 0.0 : memboost_scores[i];
    s.known = scratch.item_rows[i] != kMissingEntity;
    if (explain) s.features = assembler->row_json(scratch, i);
    r.items.push_back(std::move(s));
  }
  for (size_t i = 0; i < n; ++i) unknown += scratch.item_rows[i] == kMissingEntity;
  if (unknown) r.notes.push_back(std::to_string(unknown) + " of " + std::to_string(n) +
                                 " candidates have no features in the bundle (scored on defaults)");
  if (explain) r.explain["ranked"] = n;
  r.stage_ms["total"] = total.elapsed_seconds() * 1e3;
  return r;
}

nlohmann::json Engine::item(uint64_t id) const {
  const uint32_t row = impl_->items.row(id);
  RECO_CHECK_CODE(row != kMissingEntity, ErrorCode::kNotFound) << "item " << id << " is not in bundle " << impl_->version;
  return {{"item", id}, {"attributes", impl_->items.attributes(row)}};
}

nlohmann::json Engine::info(const std::vector<double>& weights) const {
  const Impl& m = *impl_;
  nlohmann::json w = nlohmann::json::object();
  for (size_t t = 0; t < m.heads.size(); ++t) w[m.heads[t]] = weights[t];
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& s : m.manifest.value("sources", nlohmann::json::array()))
    sources.push_back({{"label", s["label"]}, {"kind", s["kind"]}, {"quota", s["quota"]}});
  // Sample ids for the page: the most active users and most popular items (deterministic).
  std::vector<std::pair<size_t, uint64_t>> active;
  for (const auto& [u, range] : m.history) active.push_back({range.second - range.first, u});
  std::sort(active.begin(), active.end(), [](auto& a, auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  nlohmann::json users = nlohmann::json::array(), items = nlohmann::json::array();
  for (size_t i = 0; i < active.size() && i < 20; ++i) users.push_back(active[i].second);
  if (m.popular)
    for (size_t i = 0; i < m.popular->ranking().size() && i < 20; ++i) items.push_back(m.popular->ranking()[i].first);
  else
    for (size_t i = 0; i < m.items.rows() && i < 20; ++i) items.push_back(m.items.keys()[i]);
  return {{"version", m.version},
          {"created", m.manifest.value("created", std::string())},
          {"name", m.manifest.value("name", std::string())},
          {"heads", m.heads},
          {"weights", w},
          {"sources", sources},
          {"candidates", m.default_candidates},
          {"items", m.items.rows()},
          {"users", m.has_users ? m.users.rows() : 0},
          {"context", m.plan.context_keys},
          {"memboost", m.priors.has_value()},
          {"sample_users", users},
          {"sample_items", items},
          {"reliability", m.manifest.value("reliability", nlohmann::json::object())}};
}

}  // namespace reco::serve
