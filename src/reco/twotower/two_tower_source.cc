#include "reco/twotower/two_tower_source.h"

#include <algorithm>
#include <cmath>

#include "reco/core/error.h"
#include "reco/retrieval/embedding_source.h"
#include "reco/retrieval/embeddings.h"
#include "reco/retrieval/exact_index.h"
#include "reco/retrieval/hnsw_index.h"
#include "reco/twotower/two_tower_model.h"

namespace reco::twotower {

namespace {

class TwoTowerSource final : public CandidateSource {
 public:
  TwoTowerSource(TwoTowerModel model, Embeddings items, std::unique_ptr<VectorIndex> index, std::string name)
      : model_(std::move(model)), emb_(std::move(items)), index_(std::move(index)), name_(std::move(name)) {}

  std::string_view name() const override { return name_; }

  std::vector<Candidate> query(const CandidateRequest& request, const RunContext&) const override {
    if (request.k == 0) return {};
    const EmbeddingTable& items = emb_.items();
    const bool known_item = std::any_of(request.items.begin(), request.items.end(),
                                        [&](uint64_t id) { return items.find(id) != kNoRow; });
    // Without a known user or a known history item the vector is the same for everybody.
    if (model_.user_row(request.user) == ~uint32_t{0} && !known_item) return {};
    const std::vector<float> q = model_.user_vector(request.user, request.items);
    return search_item_index(items, *index_, q, request, candidate_source::kTwoTower);
  }

 private:
  TwoTowerModel model_;
  Embeddings emb_;
  std::unique_ptr<VectorIndex> index_;
  std::string name_;
};

}  // namespace

std::unique_ptr<CandidateSource> open_two_tower_source(const std::string& model_path,
                                                       const TwoTowerSourceOptions& options) {
  TwoTowerModel model = TwoTowerModel::load(model_path);
  const uint32_t d = model.config().dim;
  Embeddings emb(d, EmbeddingMetric::kDot, model.item_ids(), model.item_vectors(options.threads));
  std::unique_ptr<VectorIndex> index;
  if (options.ann_path.empty()) {
    index = std::make_unique<ExactIndex>(ExactIndex::from_items(emb));
  } else {
    index = HnswIndex::load(options.ann_path, emb);
    // The index keeps its own copy of the vectors and only fingerprints the ids: check that the
    // scores it reports for a few queries are the model's dot products.
    const EmbeddingTable& items = emb.items();
    const size_t probes = std::min<size_t>(8, items.size());
    for (size_t p = 0; p < probes; ++p) {
      const auto q = items.row(static_cast<uint32_t>(p * items.size() / probes));
      for (const Neighbor& n : index->search(q, 3)) {
        const auto v = items.row(n.row);
        double dot = 0.0, scale = 0.0;
        for (uint32_t j = 0; j < d; ++j) {
          dot += double(q[j]) * v[j];
          scale += std::abs(double(q[j]) * v[j]);
        }
        RECO_CHECK(std::abs(dot - n.score) <= 1e-3 * (scale + 1e-6))
            << options.ann_path << ": not an index of " << model_path << "'s item vectors (item " << items.id(n.row)
            << " scores " << n.score << " there, " << dot << " in the model); build it with `reco candidates build "
            << "ann` on the model's --embeddings export";
      }
    }
  }
  return std::make_unique<TwoTowerSource>(std::move(model), std::move(emb), std::move(index), options.name);
}

}  // namespace reco::twotower
