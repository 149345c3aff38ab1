// `reco candidates build twotower` (placeholder until the source lands).
#include "candidates_commands.h"
#include "reco/core/error.h"

namespace reco::cli {

Action setup_candidates_build_twotower(CLI::App*, GlobalOptions&) {
  return []() -> int { RECO_THROW(ErrorCode::kUnsupported) << "reco candidates build twotower: not built yet"; };
}

}  // namespace reco::cli
