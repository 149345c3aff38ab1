// `reco samples engagement`: per (user, item) multi-label training rows from an event log.
#include "commands.h"
#include "reco/core/error.h"

namespace reco::cli {

Action setup_samples(CLI::App& sub, GlobalOptions& /*global*/) {
  return [&sub]() -> int {
    RECO_THROW(ErrorCode::kUnsupported) << "reco " << sub.get_name() << ": not built yet";
  };
}

}  // namespace reco::cli
