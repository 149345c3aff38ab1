#include "commands.h"
#include "reco/core/error.h"

namespace reco::cli {

Action setup_candidates(CLI::App& /*sub*/, GlobalOptions& /*global*/) {
  return []() -> int { RECO_THROW(ErrorCode::kUnsupported) << "reco candidates: not built yet"; };
}

}  // namespace reco::cli
