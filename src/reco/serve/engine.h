// Engine — one loaded bundle, ready to answer: the cascade of seed 004 §11.4.5 for one request
//   candidates  the bundle's sources merged with quotas (user history or query item in),
//               the popular fallback when they come up short, the segment filter applied
//   features    FeaturePlan rows from the item / user tables, the request context and the
//               live Memboost counters
//   rank        the multi-task ranker (position zeroed), per-head calibration, the utility
//               sum_t w_t p_t with the request's weights, top-k
// and the ranking stage alone for caller-given candidates (score()).
//
// Ownership and threading: an Engine is immutable after load() and shared by every request
// (std::shared_ptr<const Engine>); all methods are const and thread-safe. Per-thread scratch
// (the model workspace) lives in thread_local storage. The Memboost counters are not part of
// the Engine: the caller passes the live store (owned by the event sink) per call.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/core/context.h"
#include "reco/serve/service.h"

namespace reco::memboost {
class MemboostStore;
class PositionPriors;
}  // namespace reco::memboost

namespace reco::serve {

class Engine {
 public:
  /// Verifies the bundle (verify_bundle) and loads every part. Throws naming the bad file.
  static std::shared_ptr<const Engine> load(const std::string& dir, const RunContext& ctx);
  ~Engine();

  const std::string& dir() const;
  const std::string& version() const;
  const nlohmann::json& manifest() const;
  const std::vector<std::string>& heads() const;
  const std::vector<double>& default_weights() const;
  /// Memboost priors (null when the bundle has none) and the seed store directory ("" = none).
  const memboost::PositionPriors* priors() const;
  std::string memboost_seed() const;

  /// `base` with the named heads replaced; kInvalidArgument naming an unknown head or a
  /// non-finite weight.
  std::vector<double> merge_weights(const std::vector<double>& base, const std::map<std::string, double>& named) const;

  /// `weights`: the utility weights to rank by (one per head). `store` may be null.
  Response recommend(const RecommendRequest& request, const std::vector<double>& weights,
                     const memboost::MemboostStore* store) const;
  Response score(const ScoreRequest& request, const std::vector<double>& weights,
                 const memboost::MemboostStore* store) const;
  nlohmann::json item(uint64_t id) const;
  /// GET /v1/bundle (weights: the live defaults).
  nlohmann::json info(const std::vector<double>& weights) const;

 private:
  Engine();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reco::serve
