// `reco tune` (placeholder until the tuner lands).
#include "commands.h"
#include "reco/core/error.h"

namespace reco::cli {

Action setup_tune(CLI::App&, GlobalOptions&) {
  return []() -> int { RECO_THROW(ErrorCode::kUnsupported) << "reco tune: not built yet"; };
}

}  // namespace reco::cli
