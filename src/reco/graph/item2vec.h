// item2vec / Pin2Vec: skip-gram with negative sampling over item sequences (Barkan &
// Koenigstein 2016; Pinterest Pin2Vec and Airbnb listing embeddings, seed 004 §11.2 / §14.1).
// A sequence is one user's session (interactions cut by an inactivity gap, see
// interactions.h). Items are the "words"; each item's input vector is its embedding.
//
// Training (word2vec's recipe): items seen fewer than min_count times are dropped (their
// occurrences counted); frequent items are subsampled (keep probability
// (sqrt(f/t) + 1) · t/f, f = count / total, t = subsample; 0 = off); for each kept position
// the window is b ~ U{1..window} when dynamic_window (else window) on each side; every
// (center, context) pair is one SGNS group with `negatives` items drawn from the
// unigram^0.75 distribution (sgns_math.h). Learning rate decays linearly from lr to
// lr · 1e-4 over all epochs. Hogwild: sequences are split into ctx.threads contiguous
// chunks per epoch, threads update the shared tables without locks. With ctx.threads == 1
// the result depends only on the data, the options and ctx.seed (bit-identical reruns).
//
// Output: Embeddings with items only (the input vectors), metric cosine, meta = method,
// options and the training report.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/core/context.h"
#include "reco/graph/interactions.h"
#include "reco/retrieval/embeddings.h"

namespace reco::graph {

struct Item2VecOptions {
  uint32_t dim = 64;
  uint32_t window = 5;
  bool dynamic_window = true;
  uint32_t negatives = 5;
  uint32_t epochs = 5;
  uint32_t min_count = 1;
  double subsample = 1e-3;  ///< t; 0 = keep every occurrence
  float lr = 0.025f;
  nlohmann::json to_json() const;
};

struct Item2VecReport {
  uint64_t sequences = 0, tokens = 0;            ///< input
  uint64_t items = 0, items_dropped = 0;         ///< vocabulary kept / below min_count
  uint64_t tokens_dropped = 0;                   ///< occurrences of dropped items
  uint64_t pairs = 0;                            ///< (center, context) groups trained
  double seconds = 0.0, pairs_per_second = 0.0;
  std::vector<double> loss_per_epoch;            ///< mean SGNS group loss
  nlohmann::json to_json() const;
};

Embeddings train_item2vec(const ItemSequences& sequences, const Item2VecOptions& options, const RunContext& ctx,
                          Item2VecReport* report = nullptr);

}  // namespace reco::graph
