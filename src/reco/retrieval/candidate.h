// Candidate: one scored item proposed by a candidate source, and CandidateSource, the one
// interface every source (Pixie walk, co-occurrence, embeddings + ANN, ...) implements:
// a request (weighted query node ids, k, an optional segment filter) in, at most k
// candidates out, best first. Kept minimal on purpose; merging with quotas and
// provenance builds on top of it.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "reco/core/context.h"

namespace reco {

/// Provenance tags: which source proposed a candidate (Candidate::source).
namespace candidate_source {
inline constexpr uint16_t kUnknown = 0;
inline constexpr uint16_t kPixie = 1;
inline constexpr uint16_t kCoOccurrence = 2;
inline constexpr uint16_t kEmbedding = 3;    ///< nearest neighbours in an embedding file (any method)
inline constexpr uint16_t kPopular = 4;      ///< most popular items (fallback, baseline)
inline constexpr uint16_t kItemKnn = 5;      ///< item-kNN cosine baseline
inline constexpr uint16_t kTwoTower = 6;     ///< two-tower user tower + ANN over item embeddings
inline constexpr uint16_t kMemboost = 7;     ///< Memboost insertion
}  // namespace candidate_source

/// No user in a request (item-to-item requests).
inline constexpr uint64_t kNoUser = ~uint64_t{0};

struct Candidate {
  uint64_t item = 0;    ///< original (raw) item id
  float score = 0.0f;   ///< source-specific; higher is better
  uint16_t source = candidate_source::kUnknown;
};

struct CandidateRequest {
  uint64_t user = kNoUser;       ///< raw user id for user-based sources (embeddings with a user table, two-tower)
  std::vector<uint64_t> items;   ///< query node ids (raw ids): the related-item query, or a user's history
  std::vector<float> weights;    ///< one per item, or empty = all 1
  size_t k = 100;                ///< at most this many candidates
  /// Segment restriction: when set, only items for which it returns true are returned.
  std::function<bool(uint64_t item)> filter;

  float weight(size_t i) const { return weights.empty() ? 1.0f : weights[i]; }
};

class CandidateSource {
 public:
  virtual ~CandidateSource() = default;
  virtual std::string_view name() const = 0;
  /// Best first, at most request.k, never one of request.items. Thread-safe (const).
  virtual std::vector<Candidate> query(const CandidateRequest& request, const RunContext& ctx) const = 0;
};

}  // namespace reco
