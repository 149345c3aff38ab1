// FeatureAssembler — builds the ranker's input batch for one request's candidates by the
// rules of a FeaturePlan (feature_plan.h): one row per candidate, dense [n, D] row-major,
// one id per row per sparse input, and the position input zeroed (feature: id 0; tower: an
// empty bag) the way `reco rank` scores "position zeroed".
//
// Missing values: an item (or user) absent from its table gets 0 for dense inputs (the
// normalized mean, what training stored for a missing attribute) and id 0 (OOV) for sparse
// ones; the row is flagged so the response can say so.
// Threading: const and thread-safe; all per-request state is in the caller's AssemblyScratch.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/memboost/counters.h"
#include "reco/models/batch.h"
#include "reco/serve/service.h"

namespace reco::memboost {
class MemboostStore;
}
namespace reco::models {
struct FeatureMap;
}

namespace reco::serve {

struct FeaturePlan;
class EntityTable;
struct EntityColumn;

struct RequestKeys {
  std::optional<uint64_t> user;
  std::optional<uint64_t> query_item;
  const ContextMap* context = nullptr;
};

struct AssemblyScratch {
  models::Batch batch;
  std::vector<uint32_t> item_rows;                 ///< per candidate, kMissingEntity when unknown
  std::vector<memboost::PairCounters> counters;    ///< per candidate (zero when unseen / no store)
};

class FeatureAssembler {
 public:
  FeatureAssembler(const FeaturePlan& plan, const models::FeatureMap& features, const EntityTable& items,
                   const EntityTable* users);
  ~FeatureAssembler();

  /// Fills scratch for `candidates`. memboost_scores gets one Memboost score per candidate
  /// when a store is given (else it is cleared). Returns the milliseconds spent reading the
  /// store. explain (may be null) gets the request-level feature notes.
  double assemble(const RequestKeys& keys, std::span<const uint64_t> candidates, const memboost::MemboostStore* store,
                  AssemblyScratch& scratch, std::vector<double>& memboost_scores, nlohmann::json* explain) const;
  /// {input column: value} of row i of the last assemble() into scratch.
  nlohmann::json row_json(const AssemblyScratch& scratch, size_t i) const;

 private:
  struct Resolved;
  const FeaturePlan& plan_;
  const EntityTable& items_;
  const EntityTable* users_;
  std::vector<Resolved> dense_, sparse_;
  int position_kind_ = 0;  // 0 none, 1 feature (one id), 2 tower (a bag)
  std::vector<std::string> dense_names_, sparse_names_;
};

}  // namespace reco::serve
