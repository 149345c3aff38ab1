// Candidate source specs: the one spelling of "which source, from which artifact, with
// which knobs" shared by `reco candidates query --source` and `reco candidates eval --source`.
//
//   SPEC := KIND[:PATH][,KEY=VALUE]...
//   pixie:G.graph[,steps=N][,alpha=A][,walkers=W][,weighted=1]   Pixie walks from the user's items
//   cooc:C.cooc                                                  co-occurrence neighbours
//   embed:E.embed[,ann=A.ann][,history=N][,recency=1]            embedding nearest neighbours
//   twotower:M.twotower[,ann=A.ann]                              two-tower: the user tower run per request
//        on (request.user, its last H history items), dot product over the model's item vectors
//        (computed at open); ann= an index built from the model's --embeddings export, else exact
//   popular                                                      most popular in --train
// Any spec may add quota=N (its share when merged; 0 = k) and name=LABEL (shown in
// provenance and tables; default = the spec's kind).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "reco/retrieval/candidate.h"
#include "reco/retrieval/candidate_merger.h"
#include "reco/retrieval/interactions.h"

namespace reco::serve {

struct SourceSpec {
  std::string text;  ///< as given
  std::string kind, path, label;
  std::map<std::string, std::string> params;
  size_t quota = 0;
};

/// Parses one spec; throws kInvalidArgument naming the spec on a bad kind or key.
SourceSpec parse_source_spec(const std::string& text);

/// What sources may need besides their own artifact.
struct SourceInputs {
  const std::vector<Interaction>* train = nullptr;  ///< for `popular`
};

std::shared_ptr<const CandidateSource> open_source(const SourceSpec& spec, const SourceInputs& inputs);

/// A merger over already opened sources (one per spec, same order), quotas from the specs.
std::shared_ptr<CandidateMerger> make_merger(const std::vector<SourceSpec>& specs,
                                             const std::vector<std::shared_ptr<const CandidateSource>>& sources);

}  // namespace reco::serve
