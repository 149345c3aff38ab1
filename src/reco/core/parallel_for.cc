#include "reco/core/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "reco/core/error.h"

namespace reco {

namespace {
// First exception wins; later ones are dropped (they are usually consequences of the first).
class ExceptionSlot {
 public:
  void capture() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!first_) first_ = std::current_exception();
    failed_.store(true, std::memory_order_relaxed);
  }
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  void rethrow_if_any() {
    if (first_) std::rethrow_exception(first_);
  }

 private:
  std::mutex mu_;
  std::exception_ptr first_;
  std::atomic<bool> failed_{false};
};
}  // namespace

void parallel_for(int threads, size_t begin, size_t end, const RangeBody& body, size_t grain) {
  RECO_CHECK_GE(threads, 1) << "thread count";
  if (end <= begin) return;
  const size_t n = end - begin;
  grain = std::max<size_t>(grain, 1);
  const size_t workers = std::min<size_t>(threads, (n + grain - 1) / grain);
  if (workers <= 1) {
    body(begin, end, 0);
    return;
  }
  ExceptionSlot slot;
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  auto run = [&](size_t w) {
    const size_t lo = begin + n * w / workers;
    const size_t hi = begin + n * (w + 1) / workers;
    try {
      if (!slot.failed()) body(lo, hi, static_cast<int>(w));
    } catch (...) {
      slot.capture();
    }
  };
  for (size_t w = 1; w < workers; ++w) pool.emplace_back(run, w);
  run(0);
  for (auto& t : pool) t.join();
  slot.rethrow_if_any();
}

void parallel_tasks(int threads, size_t count, const std::function<void(size_t, int)>& task) {
  RECO_CHECK_GE(threads, 1) << "thread count";
  if (count == 0) return;
  const size_t workers = std::min<size_t>(threads, count);
  std::atomic<size_t> next{0};
  ExceptionSlot slot;
  auto run = [&](size_t w) {
    try {
      for (size_t i = next.fetch_add(1); i < count && !slot.failed(); i = next.fetch_add(1)) {
        task(i, static_cast<int>(w));
      }
    } catch (...) {
      slot.capture();
    }
  };
  std::vector<std::thread> pool;
  for (size_t w = 1; w < workers; ++w) pool.emplace_back(run, w);
  run(0);
  for (auto& t : pool) t.join();
  slot.rethrow_if_any();
}

}  // namespace reco
