// ThreadPool — a fixed team of workers for loops that run thousands of times a second
// (one training step is several parallel regions; spawning threads per region would cost
// more than the work at batch 128). parallel_for (parallel_for.h) stays the tool for
// one-off loops.
//
// run(fn) calls fn(worker) once on every worker 0..size()-1 — worker 0 is the calling
// thread — and returns when all have finished. The first exception thrown by any worker
// is rethrown on the caller after all have finished. Workers spin briefly before
// sleeping, so back-to-back regions do not pay a futex wake-up each.
// Not reentrant: fn must not call run() on the same pool. One caller at a time.
#pragma once

#include <functional>
#include <memory>

namespace reco {

class ThreadPool {
 public:
  /// threads >= 1; threads - 1 OS threads are started.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const;
  void run(const std::function<void(int worker)>& fn);

  /// The contiguous share [begin, end) of n items that `worker` of `workers` owns.
  static std::pair<size_t, size_t> share(size_t n, int worker, int workers) {
    return {n * worker / workers, n * (worker + 1) / workers};
  }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reco
