// `reco candidates build item2vec | hoprec | import` (placeholder until the sources land).
#include "candidates_commands.h"
#include "reco/core/error.h"

namespace reco::cli {

Action setup_candidates_build_item2vec(CLI::App*, GlobalOptions&) {
  return []() -> int { RECO_THROW(ErrorCode::kUnsupported) << "reco candidates build item2vec: not built yet"; };
}
Action setup_candidates_build_hoprec(CLI::App*, GlobalOptions&) {
  return []() -> int { RECO_THROW(ErrorCode::kUnsupported) << "reco candidates build hoprec: not built yet"; };
}
Action setup_candidates_build_import(CLI::App*, GlobalOptions&) {
  return []() -> int { RECO_THROW(ErrorCode::kUnsupported) << "reco candidates build import: not built yet"; };
}

}  // namespace reco::cli
