// CoOccurrence: item-item co-occurrence over the groups of a BipartiteGraph (left nodes:
// boards, users or sessions; right nodes: items), seed 004 §11.2.1-11.2.2, and a
// CandidateSource over it.
//
//   c_ij   = number of groups holding both i and j (i != j)
//   n_i    = number of groups holding i
//   w_g    = weight of group g: 1, or with CoocWeighting::kInverseLogSize 1 / log2(1 + m_g),
//            m_g = the group's item count in the graph (before any cap): the "inverse user
//            frequency" of item-based CF (Breese et al. 1998) — a user who touched 500 items says
//            less about any one pair of them than a user who touched 3
//   cosine = (sum over groups g holding i and j of w_g) / sqrt(n_i n_j)
// The weighting lifts Recall@50 of item-to-item retrieval on both datasets we measure
// (docs/benchmarks.md, issue 7), so it is the default; kNone gives the plain cosine.
// A group with more than max_group_size items would add O(size^2) pairs of weak evidence
// (one huge session, a catch-all board): it is skipped, or, with sample_large_groups, cut
// to max_group_size items drawn with Rng(derive_seed(seed, group)); both are counted, and
// n_i counts only the groups (or samples) that contributed. Each item keeps its top_k
// neighbours by the chosen score (ties: higher count, then smaller raw id).
//
// Build: rows i are independent (a sparse A^T A row by row: i -> its groups -> their
// items, accumulated in a dense per-worker array), so items are split over ctx.threads.
//
// File: container kind "cooc", version 1. Sections:
//   "meta"      JSON (options, report, column names)
//   "items"     u64 [n]      raw item ids, ascending (index = position)
//   "groups"    u32 [n]      n_i
//   "offsets"   u64 [n+1]    item i's neighbours are [offsets[i], offsets[i+1]), best first
//   "neighbors" u32 [m]      item indices
//   "counts"    u32 [m]      c_ij
//   "cosine"    f32 [m]
// Ownership: like BipartiteGraph (owned vectors or views into the mapped file).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/core/context.h"
#include "reco/graph/bipartite_graph.h"
#include "reco/retrieval/candidate.h"

namespace reco::graph {

inline constexpr std::string_view kCoocKind = "cooc";
inline constexpr uint32_t kCoocVersion = 1;

enum class CoocScore : uint8_t { kCosine, kCount };
enum class CoocWeighting : uint8_t { kNone, kInverseLogSize };

struct CoocOptions {
  uint32_t top_k = 100;
  uint32_t max_group_size = 1000;      ///< 0 = no limit
  bool sample_large_groups = false;    ///< sample instead of skipping large groups
  CoocScore rank_by = CoocScore::kCosine;
  uint32_t min_count = 1;              ///< pairs with c_ij below this are not kept
  CoocWeighting group_weighting = CoocWeighting::kInverseLogSize;  ///< w_g in the cosine
};

/// "none" | "log" (CLI and meta spelling); throws kInvalidArgument on anything else.
CoocWeighting parse_cooc_weighting(std::string_view name);
std::string_view cooc_weighting_name(CoocWeighting w);

struct CoocReport {
  uint64_t groups = 0, groups_skipped = 0, groups_sampled = 0;
  uint64_t pairs_counted = 0;  ///< ordered (i, j) increments
  uint64_t neighbors_kept = 0;
  uint32_t items = 0;
  double seconds = 0.0;
  nlohmann::json to_json() const;
};

class CoOccurrence final : public CandidateSource {
 public:
  static CoOccurrence build(const BipartiteGraph& graph, const CoocOptions& options, const RunContext& ctx,
                            CoocReport* report = nullptr, nlohmann::json meta = nlohmann::json::object());
  static CoOccurrence load(const std::string& path);
  void save(const std::string& path) const;

  CoOccurrence(CoOccurrence&&) noexcept;
  CoOccurrence& operator=(CoOccurrence&&) noexcept;
  ~CoOccurrence() override;

  std::string_view name() const override { return "cooc"; }
  /// Sum over query items q of weight_q * score(q, j) (cosine or count, per rank_by in the
  /// file), query items excluded, best first.
  std::vector<Candidate> query(const CandidateRequest& request, const RunContext& ctx) const override;

  uint32_t item_count() const { return static_cast<uint32_t>(items_.size()); }
  uint32_t find(uint64_t item) const;  ///< index or kNoNode
  uint64_t item_id(uint32_t i) const { return items_[i]; }
  uint32_t groups_of(uint32_t i) const { return groups_[i]; }
  std::span<const uint32_t> neighbors(uint32_t i) const;
  std::span<const uint32_t> counts(uint32_t i) const;
  std::span<const float> cosine(uint32_t i) const;
  CoocScore rank_by() const;
  const nlohmann::json& meta() const { return meta_; }

 private:
  CoOccurrence();
  void validate(const std::string& where) const;
  struct Storage;
  std::unique_ptr<Storage> storage_;
  std::span<const uint64_t> items_;
  std::span<const uint32_t> groups_;
  std::span<const uint64_t> offsets_;
  std::span<const uint32_t> neighbors_, counts_;
  std::span<const float> cosine_;
  nlohmann::json meta_;
};

}  // namespace reco::graph
