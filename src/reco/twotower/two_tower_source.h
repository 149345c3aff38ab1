// TwoTowerSource: the two-tower model as a candidate source with the user vector computed per
// request (issue 7: "item embeddings precomputed offline; the user embedding computed per
// request"), as opposed to `embed:E.embed`, whose user vectors are frozen at training time.
//
// Per request:
//   q = TwoTowerModel::user_vector(request.user, last config.history of request.items)
//   (request.items is the user's history, oldest first; an unknown user or kNoUser gets a
//   zero id embedding, i.e. the vector comes from the history alone; unknown item ids are
//   skipped). Then the request.k best items by <q, v_i> from the item index, never one of
//   request.items, only items passing request.filter, best first, tagged kTwoTower.
//   A request with neither a known user nor a known history item gets no candidates (its
//   vector would only be the towers' biases: the same list for everybody).
// Item vectors: computed from the model's item tower when the source opens (the same vectors
// `reco candidates build twotower --embeddings` exports), so the model file is the only
// artifact besides an optional index. Index: retrieval's ExactIndex over them, or an HnswIndex
// loaded from an `ann` file built (`reco candidates build ann`) from the model's embeddings
// export: HnswIndex::load checks the item ids, and open checks a few of the index's scores
// against the model's vectors (an index of another model's vectors is kInvalidArgument).
// Ownership: the source owns the model, the item vectors (an in-memory Embeddings) and the
// index. Thread-safe: query is const and user_vector uses its own workspace.
#pragma once

#include <memory>
#include <string>

#include "reco/retrieval/candidate.h"

namespace reco::twotower {

struct TwoTowerSourceOptions {
  std::string ann_path;         ///< empty = exact index
  std::string name = "twotower";
  int threads = 1;              ///< for computing item vectors at open
};

/// Throws like TwoTowerModel::load / HnswIndex::load; an index whose vectors are not the
/// model's item vectors is kInvalidArgument.
std::unique_ptr<CandidateSource> open_two_tower_source(const std::string& model_path,
                                                       const TwoTowerSourceOptions& options);

}  // namespace reco::twotower
