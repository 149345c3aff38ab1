#include <cstdio>

#include "commands.h"

namespace reco::cli {

Action setup_version(CLI::App& /*sub*/, GlobalOptions& global) {
  return [&global] {
    if (global.json) {
      std::printf("{\"version\":\"%s\"}\n", RECO_VERSION);
    } else {
      std::printf("reco %s\n", RECO_VERSION);
    }
    return 0;
  };
}

}  // namespace reco::cli
