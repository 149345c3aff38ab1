// HOP-Rec (Yang, Chen, Wang & Tsai, RecSys 2018, "HOP-rec: high-order proximity for
// implicit recommendation"): matrix factorisation of the user-item interactions enriched
// with higher-order (user, item, k) pairs harvested by random walks on the bipartite graph.
//
// One training sample (the paper's sampler, as SMORe's reference implementation draws it):
//   u   ~ users, P(u) ∝ (weighted degree)^source_power (0.75 by default: active users give
//         more samples, damped as SMORe's alias tables damp every degree);
//   i_1 ~ neighbours of u, P ∝ (edge weight)^step_power; i_k = two more steps item -> user -> item;
//   for k = 1..K and each of `negatives` items j drawn uniformly from all items:
//     the pairwise term c·1[u·(i_k - j) <= ε_k]·(softplus(-u·(i_k - j)) + L2) (sgns_math.h),
//     C(k) = 1/k (or 1 with confidence = "uniform"), ε_k = margin / k.
// SGD: items i, j stepped per term; the user's gradient averaged over the open terms of an
// order and applied once (as SMORe does). Learning rate decays linearly to lr·1e-4 over all
// samples. Hogwild over ctx.threads (contiguous sample ranges, one Rng stream per thread);
// with ctx.threads == 1 the vectors depend only on data, options and ctx.seed.
//
// Input rows may repeat a (user, item) pair: each row is one edge (weights add up).
// Output: Embeddings with users and items, metric dot; meta = method, options, report.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/core/context.h"
#include "reco/graph/interactions.h"
#include "reco/retrieval/embeddings.h"

namespace reco::graph {

struct HopRecOptions {
  uint32_t dim = 64;
  uint32_t order = 3;          ///< K: highest walk order
  uint32_t negatives = 5;      ///< negative items per (user, item, k)
  uint64_t samples = 0;        ///< user walks in total; 0 = epochs × edges
  uint32_t epochs = 50;        ///< used when samples == 0; also the loss-report period
  float lr = 0.025f;
  float margin = 1.0f;         ///< ε; ε_k = ε / k
  float l2_item = 0.0025f;     ///< λ for item vectors
  float l2_user = 0.025f;      ///< λ for user vectors
  std::string confidence = "inverse";  ///< C(k): "inverse" (1/k) | "uniform" (1)
  float source_power = 0.75f;  ///< start user drawn ∝ degree^p (1 = degree, 0 = uniform over users)
  float step_power = 0.75f;    ///< walk step to a neighbour ∝ edge weight^p (no effect on unit weights)
  nlohmann::json to_json() const;
};

struct HopRecReport {
  uint64_t users = 0, items = 0, edges = 0;
  uint64_t samples = 0, terms = 0, active_terms = 0;  ///< walks; (u, i_k, j) terms; terms inside the margin
  double seconds = 0.0, samples_per_second = 0.0, terms_per_second = 0.0;
  std::vector<double> loss_per_epoch;  ///< mean term loss (closed terms count 0) per block of `edges` samples
  nlohmann::json to_json() const;
};

Embeddings train_hoprec(const Interactions& data, const HopRecOptions& options, const RunContext& ctx,
                        HopRecReport* report = nullptr);

}  // namespace reco::graph
