// Stopwatch — elapsed wall time on the steady clock, for progress lines and timing logs.
// Not for timing asserts in tests: wall time depends on the machine's load.
#pragma once

#include <chrono>

namespace reco {

class Stopwatch {
 public:
  using Clock = std::chrono::steady_clock;

  Stopwatch() : start_(Clock::now()) {}

  /// Starts counting again from now.
  void restart() { start_ = Clock::now(); }

  Clock::duration elapsed() const { return Clock::now() - start_; }
  double elapsed_seconds() const { return std::chrono::duration<double>(elapsed()).count(); }
  double elapsed_ms() const { return std::chrono::duration<double, std::milli>(elapsed()).count(); }

 private:
  Clock::time_point start_;
};

}  // namespace reco
