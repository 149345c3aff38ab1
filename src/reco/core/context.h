// RunContext — the explicit carrier of threads and seeds. No global state holds either:
// every parallel loop takes ctx.threads, every random stream derives from ctx.seed.
// `threads == 1` with a fixed seed is deterministic (tested).
#pragma once

#include <cstdint>

namespace reco {

struct RunContext {
  int threads = 1;         ///< worker threads for parallel loops (>= 1)
  uint64_t seed = 42;      ///< root seed; derive per-purpose streams with derive_seed()
  bool quiet = false;      ///< suppress progress and info logs
  bool json = false;       ///< the caller wants machine-readable output on stdout

  /// Number of hardware threads (>= 1); used when the user passes --threads 0.
  static int hardware_threads();
};

/// A seed for stream `stream` (e.g. a thread id or a purpose tag) derived from `root`
/// by SplitMix64 mixing: nearby inputs give unrelated outputs.
uint64_t derive_seed(uint64_t root, uint64_t stream);

}  // namespace reco
