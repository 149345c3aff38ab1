#include "reco/retrieval/embedding_source.h"

#include <algorithm>
#include <unordered_set>

#include "reco/core/error.h"
#include "reco/retrieval/embeddings.h"
#include "reco/retrieval/exact_index.h"
#include "reco/retrieval/hnsw_index.h"

namespace reco {

namespace {

class EmbeddingSource final : public CandidateSource {
 public:
  EmbeddingSource(Embeddings embeddings, std::unique_ptr<VectorIndex> index, EmbeddingSourceOptions options)
      : emb_(std::move(embeddings)), index_(std::move(index)), opt_(std::move(options)) {}

  std::string_view name() const override { return opt_.name; }

  std::vector<Candidate> query(const CandidateRequest& request, const RunContext&) const override {
    std::vector<float> q;
    if (!query_vector(request, q) || request.k == 0) return {};
    return search_item_index(emb_.items(), *index_, q, request, opt_.tag);
  }

 private:
  /// Fills q (dim floats); false when the request has no vector at all.
  bool query_vector(const CandidateRequest& request, std::vector<float>& q) const {
    const uint32_t d = emb_.dim();
    q.assign(d, 0.0f);
    if (request.user != kNoUser && emb_.has_users()) {
      const uint32_t r = emb_.users().find(request.user);
      if (r != kNoRow) {
        const auto v = emb_.users().row(r);
        std::copy(v.begin(), v.end(), q.begin());
        return true;
      }
    }
    RECO_CHECK(request.weights.empty() || request.weights.size() == request.items.size())
        << "embedding source '" << opt_.name << "': " << request.weights.size() << " weights for "
        << request.items.size() << " items";
    // The newest max_history items that have a vector, newest first.
    std::vector<std::pair<uint32_t, float>> used;  // (item row, request weight)
    for (size_t i = request.items.size(); i-- > 0 && used.size() < opt_.max_history;) {
      const uint32_t r = emb_.items().find(request.items[i]);
      if (r != kNoRow) used.push_back({r, request.weight(i)});
    }
    if (used.empty()) return false;
    const double m = static_cast<double>(used.size());
    double total = 0.0;
    std::vector<double> acc(d, 0.0);
    std::vector<float> v(d);
    for (size_t age = 0; age < used.size(); ++age) {
      const double w = used[age].second * (opt_.recency_weighting ? (m - double(age)) / m : 1.0);
      const auto row = emb_.items().row(used[age].first);
      std::copy(row.begin(), row.end(), v.begin());
      if (emb_.metric() == EmbeddingMetric::kCosine) normalize_in_place(v);
      for (uint32_t j = 0; j < d; ++j) acc[j] += w * v[j];
      total += w;
    }
    if (total == 0.0) return false;
    for (uint32_t j = 0; j < d; ++j) q[j] = static_cast<float>(acc[j] / total);
    return true;
  }

  Embeddings emb_;
  std::unique_ptr<VectorIndex> index_;
  EmbeddingSourceOptions opt_;
};

}  // namespace

std::vector<Candidate> search_item_index(const EmbeddingTable& items, const VectorIndex& index,
                                         std::span<const float> query, const CandidateRequest& request,
                                         uint16_t tag) {
  if (request.k == 0) return {};
  std::unordered_set<uint32_t> excluded;
  for (uint64_t id : request.items) {
    const uint32_t r = items.find(id);
    if (r != kNoRow) excluded.insert(r);
  }
  RowFilter filter;
  if (!excluded.empty() || request.filter)
    filter = [&](uint32_t row) {
      return !excluded.contains(row) && (!request.filter || request.filter(items.id(row)));
    };
  const std::vector<Neighbor> nb = index.search(query, request.k, filter);
  std::vector<Candidate> out;
  out.reserve(nb.size());
  for (const Neighbor& n : nb) out.push_back({items.id(n.row), n.score, tag});
  return out;
}

std::unique_ptr<CandidateSource> open_embedding_source(const std::string& embeddings_path,
                                                       const std::string& ann_path,
                                                       const EmbeddingSourceOptions& options) {
  Embeddings emb = Embeddings::load(embeddings_path);
  std::unique_ptr<VectorIndex> index;
  if (ann_path.empty())
    index = std::make_unique<ExactIndex>(ExactIndex::from_items(emb));
  else
    index = HnswIndex::load(ann_path, emb);
  return std::make_unique<EmbeddingSource>(std::move(emb), std::move(index), options);
}

}  // namespace reco
