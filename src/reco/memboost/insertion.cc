#include "reco/memboost/insertion.h"

#include <algorithm>
#include <unordered_set>

#include "reco/memboost/memboost_store.h"

namespace reco::memboost {

std::vector<ScoredResult> top_results(const std::vector<std::pair<uint64_t, PairCounters>>& results, size_t n,
                                      const InsertionOptions& opt) {
  std::vector<ScoredResult> scored;
  for (const auto& [item, c] : results) {
    if (c.impressions < opt.min_impressions) continue;
    const double s = memboost_score(c, opt.weights, opt.smoothing);
    if (s > opt.min_score) scored.push_back({item, s, c});
  }
  auto better = [](const ScoredResult& a, const ScoredResult& b) {
    return a.score != b.score ? a.score > b.score : a.item < b.item;
  };
  if (scored.size() > n) {
    std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(n), scored.end(), better);
    scored.resize(n);
  } else {
    std::sort(scored.begin(), scored.end(), better);
  }
  return scored;
}

std::vector<ScoredResult> top_results(const MemboostStore& store, uint64_t query, size_t n,
                                      const InsertionOptions& opt) {
  return top_results(store.results(query), n, opt);
}

size_t insert_missing(std::vector<uint64_t>& candidates, const std::vector<ScoredResult>& top) {
  std::unordered_set<uint64_t> present(candidates.begin(), candidates.end());
  size_t inserted = 0;
  for (const auto& r : top) {
    if (present.insert(r.item).second) {
      candidates.push_back(r.item);
      ++inserted;
    }
  }
  return inserted;
}

size_t insert_missing(std::vector<uint64_t>& candidates, const MemboostStore& store, uint64_t query, size_t n,
                      const InsertionOptions& opt) {
  return insert_missing(candidates, top_results(store, query, n, opt));
}

}  // namespace reco::memboost
