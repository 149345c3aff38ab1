#include "reco/core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "reco/core/human.h"

namespace reco {

namespace {
constexpr int64_t kRedrawIntervalNs = 250'000'000;  // ~4 redraws per second
}  // namespace

ProgressOutput ProgressOutput::standard_error() { return {&std::cerr, ::isatty(STDERR_FILENO) == 1}; }

Progress::Progress(std::string label, uint64_t total, const RunContext& ctx)
    : Progress(std::move(label), total, !ctx.quiet, ProgressOutput::standard_error()) {}

Progress::Progress(std::string label, uint64_t total, bool enabled)
    : Progress(std::move(label), total, enabled, ProgressOutput::standard_error()) {}

Progress::Progress(std::string label, uint64_t total, bool enabled, ProgressOutput out)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled && out.is_tty),
      out_(out.stream ? out.stream : &std::cerr) {}

Progress::~Progress() {
  try {
    finish();
  } catch (...) {
    // A failing terminal must not turn into std::terminate during unwinding.
  }
}

void Progress::update(uint64_t done) {
  done_.store(done, std::memory_order_relaxed);
  maybe_draw();
}

void Progress::add(uint64_t n) {
  done_.fetch_add(n, std::memory_order_relaxed);
  maybe_draw();
}

void Progress::set_extra(std::string extra) {
  std::lock_guard<std::mutex> lock(extra_mu_);
  extra_ = std::move(extra);
}

void Progress::finish() {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(draw_mu_);
  if (finished_) return;
  draw(true);
  finished_ = true;
}

void Progress::maybe_draw() {
  if (!enabled_) return;
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.elapsed()).count();
  if (now < next_draw_ns_.load(std::memory_order_relaxed)) return;
  std::unique_lock<std::mutex> lock(draw_mu_, std::try_to_lock);
  if (!lock.owns_lock() || finished_) return;
  if (now < next_draw_ns_.load(std::memory_order_relaxed)) return;  // another thread just drew
  next_draw_ns_.store(now + kRedrawIntervalNs, std::memory_order_relaxed);
  draw(false);
}

void Progress::draw(bool final_line) {
  std::string extra;
  {
    std::lock_guard<std::mutex> lock(extra_mu_);
    extra = extra_;
  }
  const std::string line = format_line(label_, done(), total_, clock_.elapsed_seconds(), extra);
  // "\r" returns to the line start, "\x1b[K" clears what a longer previous line left behind.
  *out_ << '\r' << line << "\x1b[K";
  if (final_line) *out_ << '\n';
  out_->flush();
}

std::string Progress::format_line(std::string_view label, uint64_t done, uint64_t total,
                                  double elapsed_seconds, std::string_view extra) {
  std::string line(label);
  line += "  ";
  line += format_count(static_cast<double>(done));
  if (total > 0) {
    line += "/";
    line += format_count(static_cast<double>(total));
    const double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    line += "  " + std::to_string(static_cast<int>(fraction * 100.0)) + "%";
  }
  // A rate over a few milliseconds is noise; show it once there is something to measure.
  const bool have_rate = elapsed_seconds > 0.05 && done > 0;
  if (have_rate) {
    const double rate = static_cast<double>(done) / elapsed_seconds;
    line += "  " + format_rate(rate);
    if (total > done) {
      line += "  ETA " + format_duration(static_cast<double>(total - done) / rate);
    }
  }
  line += "  elapsed " + format_duration(elapsed_seconds);
  if (!extra.empty()) {
    line += "  ";
    line += extra;
  }
  return line;
}

}  // namespace reco
