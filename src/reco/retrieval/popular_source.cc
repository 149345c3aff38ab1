#include "reco/retrieval/popular_source.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace reco {

namespace {

std::vector<std::pair<uint64_t, double>> rank_by_total(std::vector<std::pair<uint64_t, double>> pairs) {
  std::unordered_map<uint64_t, double> total;
  for (const auto& [item, w] : pairs) total[item] += w;
  std::vector<std::pair<uint64_t, double>> ranked(total.begin(), total.end());
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return ranked;
}

}  // namespace

PopularSource::PopularSource(std::span<const Interaction> train) {
  std::vector<std::pair<uint64_t, double>> pairs;
  pairs.reserve(train.size());
  for (const Interaction& r : train) pairs.emplace_back(r.item, r.weight);
  ranked_ = rank_by_total(std::move(pairs));
}

PopularSource::PopularSource(std::vector<std::pair<uint64_t, double>> item_totals)
    : ranked_(rank_by_total(std::move(item_totals))) {}

std::vector<Candidate> PopularSource::query(const CandidateRequest& request, const RunContext& /*ctx*/) const {
  // A short history is scanned linearly; a long one is hashed once.
  constexpr size_t kLinearScan = 16;
  std::unordered_set<uint64_t> excluded;
  if (request.items.size() > kLinearScan) excluded.insert(request.items.begin(), request.items.end());
  auto is_query = [&](uint64_t item) {
    if (request.items.size() > kLinearScan) return excluded.count(item) > 0;
    return std::find(request.items.begin(), request.items.end(), item) != request.items.end();
  };
  std::vector<Candidate> out;
  out.reserve(std::min(request.k, ranked_.size()));
  for (const auto& [item, total] : ranked_) {
    if (out.size() >= request.k) break;
    if (is_query(item) || (request.filter && !request.filter(item))) continue;
    out.push_back({item, static_cast<float>(total), candidate_source::kPopular});
  }
  return out;
}

}  // namespace reco
