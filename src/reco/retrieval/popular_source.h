// PopularSource: the most-popular baseline and fallback source. Items are ranked once, at
// construction, by total training weight (sum of the interaction weights; ties: smaller raw
// id first); a query walks that list and returns the first k items that are neither query
// items (request.items, the user's history) nor rejected by request.filter.
//
// Layout: one vector of (item, total weight) in rank order; immutable after construction,
// so query() is thread-safe. Score = the item's total weight.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "reco/retrieval/candidate.h"
#include "reco/retrieval/interactions.h"

namespace reco {

class PopularSource final : public CandidateSource {
 public:
  explicit PopularSource(std::span<const Interaction> train);
  /// From (item, popularity) pairs (ids may repeat: their values add up).
  explicit PopularSource(std::vector<std::pair<uint64_t, double>> item_totals);

  std::string_view name() const override { return "popular"; }
  std::vector<Candidate> query(const CandidateRequest& request, const RunContext& ctx) const override;

  /// (item, total weight), best first.
  std::span<const std::pair<uint64_t, double>> ranking() const { return ranked_; }

 private:
  std::vector<std::pair<uint64_t, double>> ranked_;
};

}  // namespace reco
