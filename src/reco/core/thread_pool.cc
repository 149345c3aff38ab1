#include "reco/core/thread_pool.h"

#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "reco/core/error.h"

namespace reco {

namespace {
// Spin-wait budget between regions of a step. A pause instruction costs tens of cycles
// without a system call; yielding only every 64 spins keeps a waiting worker from taking a
// core another process needs, while a region that starts within microseconds (the common
// case: a training step is two back-to-back regions) is picked up without entering the
// kernel (sched_yield took ~20 % of a small MMoE's training time).
constexpr int kSpins = 1 << 15;
inline void relax(int i) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
  if ((i & 63) == 63) std::this_thread::yield();
}
}  // namespace

struct ThreadPool::Impl {
  int threads = 1;
  std::vector<std::thread> workers;
  std::mutex mu;
  std::condition_variable wake;
  std::condition_variable done_cv;
  std::atomic<uint64_t> generation{0};
  std::atomic<int> pending{0};
  bool stop = false;
  const std::function<void(int)>* job = nullptr;
  std::mutex error_mu;
  std::exception_ptr error;

  void execute(int worker) {
    try {
      (*job)(worker);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mu);
      if (!error) error = std::current_exception();
    }
  }

  void loop(int worker) {
    uint64_t seen = 0;
    for (;;) {
      // Spin a little: the next region usually starts within microseconds.
      bool ready = false;
      for (int i = 0; i < kSpins; ++i) {
        if (generation.load(std::memory_order_acquire) != seen) {
          ready = true;
          break;
        }
        relax(i);
      }
      if (!ready) {
        std::unique_lock<std::mutex> lock(mu);
        wake.wait(lock, [&] { return stop || generation.load(std::memory_order_acquire) != seen; });
        if (stop) return;
      }
      seen = generation.load(std::memory_order_acquire);
      execute(worker);
      if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mu);
        done_cv.notify_one();
      }
    }
  }
};

ThreadPool::ThreadPool(int threads) : impl_(std::make_unique<Impl>()) {
  RECO_CHECK_GE(threads, 1) << "thread count";
  impl_->threads = threads;
  for (int w = 1; w < threads; ++w) impl_->workers.emplace_back([this, w] { impl_->loop(w); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->wake.notify_all();
  for (auto& t : impl_->workers) t.join();
}

int ThreadPool::size() const { return impl_->threads; }

void ThreadPool::run(const std::function<void(int worker)>& fn) {
  Impl& s = *impl_;
  if (s.threads == 1) {
    fn(0);
    return;
  }
  s.job = &fn;
  s.error = nullptr;
  s.pending.store(s.threads - 1, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.generation.fetch_add(1, std::memory_order_acq_rel);
  }
  s.wake.notify_all();
  s.execute(0);
  // Wait for the others: spin first, then sleep.
  for (int i = 0; i < 4 * kSpins && s.pending.load(std::memory_order_acquire) != 0; ++i) relax(i);
  if (s.pending.load(std::memory_order_acquire) != 0) {
    std::unique_lock<std::mutex> lock(s.mu);
    s.done_cv.wait(lock, [&] { return s.pending.load(std::memory_order_acquire) == 0; });
  }
  s.job = nullptr;
  if (s.error) {
    std::exception_ptr e = s.error;
    s.error = nullptr;
    std::rethrow_exception(e);
  }
}

}  // namespace reco
