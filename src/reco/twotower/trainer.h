// Two-tower training with in-batch softmax negatives (see in_batch_softmax.h for the loss).
//
// Each epoch shuffles the interaction rows with a seeded Rng and walks them in batches of
// B positives; a batch's columns are its B positive items plus M uniform random items.
// Q(j), the probability that item j fills a column, is estimated from exact training
// counts: log Q = log(B * freq_j / N) for in-batch columns (the expected number of copies
// of j among B draws) and log(M / n_items) for the uniform ones, so both kinds of columns
// are corrected on the same scale (mixed negative sampling).
//
// Data parallelism over ctx.threads (T workers, shard s owns batch rows [B s/T, B(s+1)/T)
// and the same share of the random columns):
//   1. each worker runs both towers on its rows / columns and writes its slice of U and V;
//   2. each worker computes its rows of S = U V^T / tau, the softmax gradient dS, dU = dS V
//      and backpropagates the user tower (own MLP gradient buffers);
//   3. each worker computes dV for its columns from the whole dS and backpropagates the item
//      tower;
//   4. the dense gradients are summed in shard order, embedding row gradients coalesced in
//      id order (build_row_grad), and the LazyAdam update runs per parameter in parallel.
// For a given T the result does not depend on timing; with T = 1 and a seed it is bit-identical.
// Optimizer: Adam on the MLPs, LazyAdam (row-sparse Adam) on the three id tables.
#pragma once

#include <nlohmann/json.hpp>

#include "reco/core/context.h"
#include "reco/retrieval/embeddings.h"
#include "reco/twotower/interactions.h"
#include "reco/twotower/two_tower_model.h"

namespace reco::twotower {

struct TrainReport {
  uint64_t samples = 0;            ///< positives processed over all epochs
  uint64_t steps = 0;
  double seconds = 0.0;            ///< training time (excludes reading and export)
  double samples_per_second = 0.0;
  std::vector<double> epoch_loss;  ///< mean weighted loss per epoch
  nlohmann::json to_json() const;
};

/// Trains a fresh model on `data`; progress on a TTY unless ctx.quiet. `fields` (optional):
/// feature fields from make_tower_fields(data.user_ids, data.item_ids, ...); the model then
/// also holds their cold rows.
TwoTowerModel train_two_tower(const Interactions& data, const TwoTowerConfig& config, const RunContext& ctx,
                              TrainReport* report = nullptr, const TowerFields* fields = nullptr);

/// The embeddings file of a trained model: every item's vector (cold items from the feature
/// file included) and the user-tower vector of every training user (history = their last
/// config.history training items); metric dot.
Embeddings two_tower_embeddings(const TwoTowerModel& model, const Interactions& data, int threads,
                                nlohmann::json meta = nlohmann::json::object());

}  // namespace reco::twotower
