#include "reco/graph/cooccurrence.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "reco/core/container.h"
#include "reco/core/error.h"
#include "reco/core/parallel_for.h"
#include "reco/core/rng.h"
#include "reco/core/timer.h"

namespace reco::graph {

nlohmann::json CoocReport::to_json() const {
  return {{"groups", groups},           {"groups_skipped", groups_skipped}, {"groups_sampled", groups_sampled},
          {"pairs_counted", pairs_counted}, {"neighbors_kept", neighbors_kept}, {"items", items},
          {"seconds", seconds}};
}

struct CoOccurrence::Storage {
  std::vector<uint64_t> items;
  std::vector<uint32_t> groups;
  std::vector<uint64_t> offsets;
  std::vector<uint32_t> neighbors, counts;
  std::vector<float> cosine;
  std::optional<Container> file;
};

CoOccurrence::CoOccurrence() : storage_(std::make_unique<Storage>()) {}
CoOccurrence::CoOccurrence(CoOccurrence&&) noexcept = default;
CoOccurrence& CoOccurrence::operator=(CoOccurrence&&) noexcept = default;
CoOccurrence::~CoOccurrence() = default;

namespace {

struct Neighbor {
  uint32_t item;  // graph node index during the build
  uint32_t count;
  float cosine;
};

const char* score_name(CoocScore s) { return s == CoocScore::kCount ? "count" : "cosine"; }

}  // namespace

CoocWeighting parse_cooc_weighting(std::string_view name) {
  if (name == "none") return CoocWeighting::kNone;
  if (name == "log") return CoocWeighting::kInverseLogSize;
  RECO_THROW(ErrorCode::kInvalidArgument) << "cooc group weighting: expected 'none' or 'log', got '" << name << "'";
}

std::string_view cooc_weighting_name(CoocWeighting w) {
  return w == CoocWeighting::kNone ? "none" : "log";
}

CoOccurrence CoOccurrence::build(const BipartiteGraph& graph, const CoocOptions& opt, const RunContext& ctx,
                                 CoocReport* report, nlohmann::json meta) {
  Stopwatch watch;
  RECO_CHECK_GE(opt.top_k, 1u) << "cooc: --topk must be >= 1";
  const CsrView& l2r = graph.left_to_right();
  const uint32_t NL = graph.left_count(), NR = graph.right_count();
  CoocReport rep;
  rep.groups = NL;

  // 1. Contributing groups, capped: group -> items (graph right indices).
  std::vector<uint64_t> goff(1, 0);
  std::vector<uint32_t> gitems;
  std::vector<float> gweight;  // w_g per contributing group
  gitems.reserve(l2r.targets.size());
  const bool weighted = opt.group_weighting == CoocWeighting::kInverseLogSize;
  for (uint32_t l = 0; l < NL; ++l) {
    const auto row = l2r.row(l);
    if (row.size() < 2) continue;  // a single item co-occurs with nothing
    if (opt.max_group_size > 0 && row.size() > opt.max_group_size) {
      if (!opt.sample_large_groups) {
        ++rep.groups_skipped;
        continue;
      }
      ++rep.groups_sampled;
      // Partial Fisher-Yates: the first max_group_size entries become a uniform sample.
      std::vector<uint32_t> pick(row.begin(), row.end());
      Rng rng(derive_seed(ctx.seed, l));
      for (uint32_t i = 0; i < opt.max_group_size; ++i) std::swap(pick[i], pick[i + rng.below(pick.size() - i)]);
      gitems.insert(gitems.end(), pick.begin(), pick.begin() + opt.max_group_size);
    } else {
      gitems.insert(gitems.end(), row.begin(), row.end());
    }
    goff.push_back(gitems.size());
    gweight.push_back(weighted ? static_cast<float>(1.0 / std::log2(1.0 + static_cast<double>(row.size()))) : 1.0f);
  }
  const size_t G = goff.size() - 1;
  // 2. Transpose: item -> contributing groups; n_i = its length.
  std::vector<uint64_t> ioff(NR + 1, 0);
  for (uint32_t j : gitems) ++ioff[j + 1];
  for (uint32_t i = 0; i < NR; ++i) ioff[i + 1] += ioff[i];
  std::vector<uint32_t> igroups(gitems.size());
  {
    std::vector<uint64_t> pos(ioff.begin(), ioff.end() - 1);
    for (size_t g = 0; g < G; ++g)
      for (uint64_t p = goff[g]; p < goff[g + 1]; ++p) igroups[pos[gitems[p]]++] = static_cast<uint32_t>(g);
  }
  auto n_of = [&](uint32_t i) { return static_cast<uint32_t>(ioff[i + 1] - ioff[i]); };

  // 3. Row by row: c_i. = sum over i's groups of their item indicator vectors.
  const int T = std::max(1, ctx.threads);
  std::vector<std::vector<Neighbor>> rows(NR);
  std::vector<std::vector<uint32_t>> acc(T);
  std::vector<std::vector<double>> wacc(T);  // sum of w_g per pair (only when weighted)
  std::vector<std::vector<uint32_t>> touched(T);
  std::vector<uint64_t> pairs(T, 0);
  constexpr size_t kBlock = 256;
  const bool by_count = opt.rank_by == CoocScore::kCount;
  parallel_tasks(T, (NR + kBlock - 1) / kBlock, [&](size_t block, int w) {
    auto& a = acc[w];
    auto& wa = wacc[w];
    auto& touch = touched[w];
    if (a.empty()) a.assign(NR, 0);
    if (weighted && wa.empty()) wa.assign(NR, 0.0);
    for (uint32_t i = block * kBlock; i < std::min<size_t>(NR, (block + 1) * kBlock); ++i) {
      for (uint64_t p = ioff[i]; p < ioff[i + 1]; ++p) {
        const uint32_t g = igroups[p];
        const double wg = gweight[g];
        for (uint64_t q = goff[g]; q < goff[g + 1]; ++q) {
          const uint32_t j = gitems[q];
          if (j == i) continue;
          if (a[j]++ == 0) touch.push_back(j);
          if (weighted) wa[j] += wg;
        }
        pairs[w] += goff[g + 1] - goff[g] - 1;
      }
      auto& out = rows[i];
      const double ni = n_of(i);
      for (uint32_t j : touch) {
        const double sum_w = weighted ? wa[j] : static_cast<double>(a[j]);
        if (a[j] >= opt.min_count)
          out.push_back({j, a[j], static_cast<float>(sum_w / std::sqrt(ni * static_cast<double>(n_of(j))))});
        a[j] = 0;
        if (weighted) wa[j] = 0.0;
      }
      touch.clear();
      auto better = [&](const Neighbor& x, const Neighbor& y) {
        const float sx = by_count ? float(x.count) : x.cosine, sy = by_count ? float(y.count) : y.cosine;
        if (sx != sy) return sx > sy;
        if (x.count != y.count) return x.count > y.count;
        return graph.right_id(x.item) < graph.right_id(y.item);
      };
      if (out.size() > opt.top_k) {
        std::nth_element(out.begin(), out.begin() + opt.top_k, out.end(), better);
        out.resize(opt.top_k);
        out.shrink_to_fit();
      }
      std::sort(out.begin(), out.end(), better);
    }
  });
  for (uint64_t p : pairs) rep.pairs_counted += p;

  // 4. Assemble in ascending raw-id order (the graph's right_order).
  CoOccurrence c;
  Storage& s = *c.storage_;
  std::vector<uint32_t> index_of(NR);
  const auto ids = graph.right_ids();
  std::vector<uint32_t> order(NR);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return ids[a] < ids[b]; });
  for (uint32_t k = 0; k < NR; ++k) index_of[order[k]] = k;
  s.items.resize(NR);
  s.groups.resize(NR);
  s.offsets.assign(1, 0);
  for (uint32_t k = 0; k < NR; ++k) {
    const uint32_t i = order[k];
    s.items[k] = ids[i];
    s.groups[k] = n_of(i);
    for (const Neighbor& n : rows[i]) {
      s.neighbors.push_back(index_of[n.item]);
      s.counts.push_back(n.count);
      s.cosine.push_back(n.cosine);
    }
    s.offsets.push_back(s.neighbors.size());
  }
  rep.items = NR;
  rep.neighbors_kept = s.neighbors.size();
  rep.seconds = watch.elapsed_seconds();
  meta["rank_by"] = score_name(opt.rank_by);
  meta["options"] = {{"top_k", opt.top_k},
                     {"max_group_size", opt.max_group_size},
                     {"sample_large_groups", opt.sample_large_groups},
                     {"min_count", opt.min_count},
                     {"group_weighting", cooc_weighting_name(opt.group_weighting)}};
  meta["report"] = rep.to_json();
  c.items_ = s.items;
  c.groups_ = s.groups;
  c.offsets_ = s.offsets;
  c.neighbors_ = s.neighbors;
  c.counts_ = s.counts;
  c.cosine_ = s.cosine;
  c.meta_ = std::move(meta);
  c.validate("built co-occurrence");
  if (report) *report = rep;
  return c;
}

CoOccurrence CoOccurrence::load(const std::string& path) {
  CoOccurrence c;
  c.storage_->file.emplace(Container::open(path, kCoocKind, kCoocVersion));
  const Container& f = *c.storage_->file;
  c.items_ = f.array<uint64_t>("items");
  c.groups_ = f.array<uint32_t>("groups");
  c.offsets_ = f.array<uint64_t>("offsets");
  c.neighbors_ = f.array<uint32_t>("neighbors");
  c.counts_ = f.array<uint32_t>("counts");
  c.cosine_ = f.array<float>("cosine");
  try {
    c.meta_ = nlohmann::json::parse(f.section_string("meta"));
  } catch (const nlohmann::json::exception& e) {
    RECO_THROW(ErrorCode::kCorrupt) << path << ": section 'meta' is not valid JSON (" << e.what() << ")";
  }
  c.validate(path);
  return c;
}

void CoOccurrence::validate(const std::string& where) const {
  const size_t n = items_.size(), m = neighbors_.size();
  RECO_CHECK_CODE(groups_.size() == n && offsets_.size() == n + 1, ErrorCode::kCorrupt)
      << where << ": groups/offsets sizes do not match " << n << " items";
  RECO_CHECK_CODE(counts_.size() == m && cosine_.size() == m, ErrorCode::kCorrupt)
      << where << ": counts/cosine sizes do not match " << m << " neighbours";
  RECO_CHECK_CODE(offsets_[0] == 0 && offsets_[n] == m, ErrorCode::kCorrupt)
      << where << ": offsets must run from 0 to " << m;
  for (size_t i = 0; i < n; ++i) {
    RECO_CHECK_CODE(i == 0 || items_[i - 1] < items_[i], ErrorCode::kCorrupt)
        << where << ": items not strictly ascending at " << i;
    RECO_CHECK_CODE(offsets_[i] <= offsets_[i + 1], ErrorCode::kCorrupt) << where << ": offsets decrease at " << i;
  }
  for (size_t p = 0; p < m; ++p)
    RECO_CHECK_CODE(neighbors_[p] < n, ErrorCode::kCorrupt) << where << ": neighbors[" << p << "] out of range";
  if (meta_.contains("rank_by"))
    RECO_CHECK_CODE(meta_["rank_by"].is_string(), ErrorCode::kCorrupt) << where << ": meta.rank_by";
}

void CoOccurrence::save(const std::string& path) const {
  ContainerWriter w(path, kCoocKind, kCoocVersion);
  w.add_section("meta", meta_.dump());
  w.add_array<uint64_t>("items", items_);
  w.add_array<uint32_t>("groups", groups_);
  w.add_array<uint64_t>("offsets", offsets_);
  w.add_array<uint32_t>("neighbors", neighbors_);
  w.add_array<uint32_t>("counts", counts_);
  w.add_array<float>("cosine", cosine_);
  w.commit();
}

uint32_t CoOccurrence::find(uint64_t item) const {
  auto it = std::lower_bound(items_.begin(), items_.end(), item);
  return it != items_.end() && *it == item ? static_cast<uint32_t>(it - items_.begin()) : kNoNode;
}
std::span<const uint32_t> CoOccurrence::neighbors(uint32_t i) const {
  return neighbors_.subspan(offsets_[i], offsets_[i + 1] - offsets_[i]);
}
std::span<const uint32_t> CoOccurrence::counts(uint32_t i) const {
  return counts_.subspan(offsets_[i], offsets_[i + 1] - offsets_[i]);
}
std::span<const float> CoOccurrence::cosine(uint32_t i) const {
  return cosine_.subspan(offsets_[i], offsets_[i + 1] - offsets_[i]);
}
CoocScore CoOccurrence::rank_by() const {
  return meta_.value("rank_by", std::string("cosine")) == "count" ? CoocScore::kCount : CoocScore::kCosine;
}

std::vector<Candidate> CoOccurrence::query(const CandidateRequest& request, const RunContext& /*ctx*/) const {
  RECO_CHECK(request.weights.empty() || request.weights.size() == request.items.size())
      << "cooc: " << request.weights.size() << " weights for " << request.items.size() << " query items";
  const bool by_count = rank_by() == CoocScore::kCount;
  std::vector<uint32_t> queries;
  std::vector<std::pair<uint32_t, double>> scored;
  for (size_t qi = 0; qi < request.items.size(); ++qi) {
    const uint32_t q = find(request.items[qi]);
    if (q == kNoNode) continue;
    queries.push_back(q);
    const auto nb = neighbors(q);
    const auto cnt = counts(q);
    const auto cos = cosine(q);
    for (size_t p = 0; p < nb.size(); ++p)
      scored.emplace_back(nb[p], request.weight(qi) * (by_count ? double(cnt[p]) : double(cos[p])));
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::pair<uint32_t, double>> merged;
  for (size_t i = 0; i < scored.size();) {
    double sum = 0.0;
    size_t j = i;
    for (; j < scored.size() && scored[j].first == scored[i].first; ++j) sum += scored[j].second;
    const uint32_t node = scored[i].first;
    const bool is_query = std::find(queries.begin(), queries.end(), node) != queries.end();
    if (!is_query && (!request.filter || request.filter(items_[node]))) merged.emplace_back(node, sum);
    i = j;
  }
  // Items are stored by ascending raw id, so a smaller index is a smaller id on ties.
  auto better = [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; };
  if (merged.size() > request.k) {
    std::nth_element(merged.begin(), merged.begin() + request.k, merged.end(), better);
    merged.resize(request.k);
  }
  std::sort(merged.begin(), merged.end(), better);
  std::vector<Candidate> out;
  for (const auto& [node, score] : merged)
    out.push_back({items_[node], static_cast<float>(score), candidate_source::kCoOccurrence});
  return out;
}

}  // namespace reco::graph
