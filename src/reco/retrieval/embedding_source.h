// EmbeddingSource: the candidate source "nearest items in an embeddings file" (item2vec,
// HOP-Rec, two-tower, imported vectors): one CandidateSource over an Embeddings file and
// a VectorIndex of its items (HnswIndex loaded from an "ann" file, or an ExactIndex).
//
// Query vector of a request:
//   1. the user's own vector when request.user is in the file's user table;
//   2. else the weighted mean of the vectors of the last `max_history` request.items that
//      have one (request.items is oldest first; weight = request.weight(i), times the
//      recency ramp (m - age) / m when recency_weighting, age 0 = the newest of the m used);
//      for cosine each item vector is unit-normalised before averaging;
//   3. else (no user vector, no item vector): no candidates.
// Results: the request.k best items by the index's score, none of request.items, only
// items passing request.filter, best first, tagged options.tag.
// Ownership: the source owns the Embeddings (memory-mapped) and the index.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "reco/retrieval/candidate.h"
#include "reco/retrieval/embeddings.h"
#include "reco/retrieval/vector_index.h"

namespace reco {

struct EmbeddingSourceOptions {
  size_t max_history = 50;
  bool recency_weighting = false;
  uint16_t tag = candidate_source::kEmbedding;
  std::string name = "embed";
};

/// ann_path empty = exact (brute-force) index over the items. Throws like Embeddings::load
/// and HnswIndex::load (a mismatched index is kInvalidArgument).
std::unique_ptr<CandidateSource> open_embedding_source(const std::string& embeddings_path,
                                                       const std::string& ann_path /* empty = exact index */,
                                                       const EmbeddingSourceOptions& options);

/// The request.k best rows of `index` (built over `items`) for the query vector `query`,
/// none of request.items, only items passing request.filter, best first, tagged `tag`:
/// the search every source over an item index ends with.
std::vector<Candidate> search_item_index(const EmbeddingTable& items, const VectorIndex& index,
                                         std::span<const float> query, const CandidateRequest& request,
                                         uint16_t tag);

}  // namespace reco
