#include "commands.h"
#include "reco/core/error.h"

namespace reco::cli {

Action setup_simulate(CLI::App& /*sub*/, GlobalOptions& /*global*/) {
  return []() -> int { RECO_THROW(ErrorCode::kUnsupported) << "reco simulate: not built yet"; };
}

}  // namespace reco::cli
