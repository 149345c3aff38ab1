// Progress — a one-line progress display on stderr for long work (ingest, training).
//
//   Progress p("ingest", total_rows, ctx);   // total 0 = unknown
//   parallel_for(...) { ...; p.add(n); }      // add() is thread-safe
//   p.set_extra("loss=0.213");
//   p.finish();
//
// Line: "ingest  1.2 M/3.0 M  40%  1.1 M/s  ETA 1.6s  elapsed 1.1s  loss=0.213".
// It is drawn only when stderr is a terminal and the run is not quiet; otherwise nothing
// is ever written (logs and pipes stay clean). Redraws are throttled to ~4 per second;
// whichever thread calls add()/update() when the interval has passed draws, the others
// skip (try_lock), so workers never wait on the terminal.
#pragma once

#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <mutex>
#include <string>
#include <string_view>

#include "reco/core/context.h"
#include "reco/core/timer.h"

namespace reco {

/// Where a Progress draws, and whether that place is a terminal. Injected by tests;
/// ProgressOutput::standard_error() is the real one (isatty(2)).
struct ProgressOutput {
  std::ostream* stream = nullptr;  ///< nullptr = std::cerr
  bool is_tty = false;             ///< false -> the Progress writes nothing at all
  static ProgressOutput standard_error();
};

class Progress {
 public:
  /// Enabled when !ctx.quiet and stderr is a TTY.
  Progress(std::string label, uint64_t total, const RunContext& ctx);
  /// Enabled when `enabled` (i.e. not quiet) and stderr is a TTY.
  Progress(std::string label, uint64_t total, bool enabled);
  /// Enabled when `enabled` and out.is_tty; draws on out.stream.
  Progress(std::string label, uint64_t total, bool enabled, ProgressOutput out);
  /// Calls finish() if it was not called.
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Sets the absolute count done so far.
  void update(uint64_t done);
  /// Adds n to the count (thread-safe, lock-free unless this call draws).
  void add(uint64_t n = 1);
  /// Extra text shown at the end of the line (e.g. "loss=0.213"); thread-safe.
  void set_extra(std::string extra);
  /// Draws the final line and ends it with a newline. Idempotent.
  void finish();

  bool enabled() const { return enabled_; }
  uint64_t done() const { return done_.load(std::memory_order_relaxed); }

  /// The text of one progress line (no "\r", no newline); pure, for tests and reuse.
  static std::string format_line(std::string_view label, uint64_t done, uint64_t total,
                                 double elapsed_seconds, std::string_view extra);

 private:
  void maybe_draw();
  void draw(bool final_line);  // requires draw_mu_

  std::string label_;
  uint64_t total_;
  bool enabled_;
  std::ostream* out_;
  Stopwatch clock_;
  std::atomic<uint64_t> done_{0};
  std::atomic<int64_t> next_draw_ns_{0};  // steady-clock ns since clock_ start
  std::mutex draw_mu_;                    // held by the one thread drawing
  std::mutex extra_mu_;
  std::string extra_;
  bool finished_ = false;  // guarded by draw_mu_
};

}  // namespace reco
