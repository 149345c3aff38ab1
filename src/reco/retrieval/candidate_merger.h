// CandidateMerger: one CandidateSource over several (seed 004 §11.2.4: a request asks
// several sources with quotas, dedups, keeps provenance and can restrict to a segment).
//
// Per request (k = request.k):
//   1. segment: when a SegmentTable and a wanted value are set, the request filter becomes
//      "request.filter(item) && segment(item) == wanted" (items missing from the table are
//      out) and is passed to every source;
//   2. every source s is asked for k candidates (not just its quota, so leftovers exist);
//   3. fill, round-robin by rank: for rank r = 1, 2, ...: for each source in order, while
//      it has taken fewer than quota_s items, its rank-r item is taken unless already taken
//      (a duplicate does not use the quota); stop at k items;
//   4. top-up: the same round-robin over the leftovers, quotas ignored, until k items;
//   5. provenance: every source whose list holds an output item, with its score and 1-based
//      rank there (sources in input order).
// Output order is the fill order; MergedCandidate::score = 1 / (1 + position) (monotone in
// that order; source scores are not comparable across sources), source = tag of the source
// whose turn placed it. quota = 0 means "k".
//
// Thread-safety: const after construction; sources are queried one after another, each
// with the caller's ctx.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/retrieval/candidate.h"

namespace reco {

/// item -> segment value (category, locale, ...), from a CSV "item,value" (header allowed;
/// `column` picks a named column of a headed CSV whose first column is the item id).
class SegmentTable {
 public:
  static SegmentTable load(const std::string& path, const std::string& column = "");
  void set(uint64_t item, std::string value) { values_[item] = std::move(value); }
  /// nullptr when the item has no value.
  const std::string* find(uint64_t item) const;
  size_t size() const { return values_.size(); }

 private:
  std::unordered_map<uint64_t, std::string> values_;
};

struct MergeInput {
  std::shared_ptr<const CandidateSource> source;
  size_t quota = 0;   ///< 0 = k
  std::string label;  ///< shown in provenance; empty = source->name()
};

struct Provenance {
  uint16_t input = 0;  ///< index into the merger's inputs
  uint16_t tag = candidate_source::kUnknown;
  float score = 0.0f;  ///< the source's own score
  uint32_t rank = 0;   ///< 1-based rank in that source's list
};

struct MergedCandidate {
  uint64_t item = 0;
  float score = 0.0f;
  uint16_t source = candidate_source::kUnknown;  ///< tag of the source that placed it
  uint16_t placed_by = 0;                        ///< input index of that source
  std::vector<Provenance> provenance;
};

class CandidateMerger final : public CandidateSource {
 public:
  explicit CandidateMerger(std::vector<MergeInput> inputs);

  /// Restricts every request to items whose segment value is `wanted`.
  void restrict_to_segment(std::shared_ptr<const SegmentTable> table, std::string wanted);

  std::string_view name() const override { return "merge"; }
  std::vector<Candidate> query(const CandidateRequest& request, const RunContext& ctx) const override;
  std::vector<MergedCandidate> query_merged(const CandidateRequest& request, const RunContext& ctx) const;

  const std::vector<MergeInput>& inputs() const { return inputs_; }
  std::string label(size_t input) const;

 private:
  std::vector<MergeInput> inputs_;
  std::shared_ptr<const SegmentTable> segments_;
  std::string wanted_;
};

/// JSON array of merged candidates with provenance (labels from the merger).
nlohmann::json merged_json(const CandidateMerger& merger, const std::vector<MergedCandidate>& candidates);

}  // namespace reco
