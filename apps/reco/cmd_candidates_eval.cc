// `reco candidates build ann | split | eval` (placeholders until they land).
#include "candidates_commands.h"
#include "reco/core/error.h"

namespace reco::cli {

Action setup_candidates_build_ann(CLI::App*, GlobalOptions&) {
  return []() -> int { RECO_THROW(ErrorCode::kUnsupported) << "reco candidates build ann: not built yet"; };
}
Action setup_candidates_split(CLI::App*, GlobalOptions&) {
  return []() -> int { RECO_THROW(ErrorCode::kUnsupported) << "reco candidates split: not built yet"; };
}
Action setup_candidates_eval(CLI::App*, GlobalOptions&) {
  return []() -> int { RECO_THROW(ErrorCode::kUnsupported) << "reco candidates eval: not built yet"; };
}

}  // namespace reco::cli
