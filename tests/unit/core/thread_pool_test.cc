#include "reco/core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "reco/core/error.h"

namespace reco {
namespace {

TEST(ThreadPool, RunCallsEveryWorkerOnceWithDistinctIds) {
  for (int threads : {1, 2, 3, 4, 7}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int rep = 0; rep < 20; ++rep) {
      std::vector<std::atomic<int>> calls(threads);
      std::mutex mu;
      std::set<std::thread::id> os_threads;
      pool.run([&](int worker) {
        ASSERT_GE(worker, 0);
        ASSERT_LT(worker, threads);
        calls[worker].fetch_add(1);
        std::lock_guard<std::mutex> lock(mu);
        os_threads.insert(std::this_thread::get_id());
      });
      for (int w = 0; w < threads; ++w) EXPECT_EQ(calls[w].load(), 1) << "threads " << threads << " worker " << w;
      // Distinct worker ids run on distinct OS threads, worker 0 on the caller.
      EXPECT_EQ(os_threads.size(), static_cast<size_t>(threads));
      EXPECT_TRUE(os_threads.count(std::this_thread::get_id()));
    }
  }
}

TEST(ThreadPool, WorkerZeroIsTheCaller) {
  ThreadPool pool(3);
  std::thread::id zero;
  pool.run([&](int worker) {
    if (worker == 0) zero = std::this_thread::get_id();
  });
  EXPECT_EQ(zero, std::this_thread::get_id());
}

TEST(ThreadPool, ThousandsOfBackToBackRunsComplete) {
  for (int threads : {2, 4}) {
    ThreadPool pool(threads);
    std::atomic<long> total{0};
    std::vector<long> per_worker(threads, 0);  // each slot written by its worker only
    const int runs = 5000;
    for (int r = 0; r < runs; ++r) {
      pool.run([&](int worker) {
        total.fetch_add(1, std::memory_order_relaxed);
        ++per_worker[worker];
      });
      // run() returns only after every worker finished this region.
      ASSERT_EQ(total.load(), static_cast<long>(r + 1) * threads);
    }
    for (int w = 0; w < threads; ++w) EXPECT_EQ(per_worker[w], runs);
  }
}

TEST(ThreadPool, SleepingWorkersWakeUp) {
  // Between regions workers fall back from spinning to a condition variable; the next run
  // must still reach them.
  ThreadPool pool(3);
  for (int r = 0; r < 3; ++r) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::atomic<int> calls{0};
    pool.run([&](int) { calls.fetch_add(1); });
    EXPECT_EQ(calls.load(), 3);
  }
}

TEST(ThreadPool, WorkerExceptionIsRethrownAndPoolStaysUsable) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    for (int thrower : {0, threads - 1}) {
      std::atomic<int> finished{0};
      try {
        pool.run([&](int worker) {
          if (worker == thrower) RECO_THROW(ErrorCode::kCorrupt) << "worker " << worker << " failed";
          finished.fetch_add(1);
        });
        ADD_FAILURE() << "run() swallowed the exception of worker " << thrower;
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kCorrupt);
        EXPECT_NE(std::string(e.what()).find("worker " + std::to_string(thrower)), std::string::npos);
      }
      // The others ran to completion before run() returned.
      EXPECT_EQ(finished.load(), threads - 1);
      std::atomic<int> calls{0};
      pool.run([&](int) { calls.fetch_add(1); });
      EXPECT_EQ(calls.load(), threads);
    }
    // Every worker throwing: one exception comes out, a std exception type is kept.
    EXPECT_THROW(pool.run([](int) { throw std::out_of_range("all"); }), std::out_of_range);
    std::atomic<int> calls{0};
    pool.run([&](int) { calls.fetch_add(1); });
    EXPECT_EQ(calls.load(), threads);
  }
}

TEST(ThreadPool, SizeOneRunsInline) {
  ThreadPool pool(1);
  EXPECT_EQ(pool.size(), 1);
  int calls = 0;
  std::thread::id where;
  pool.run([&](int worker) {
    EXPECT_EQ(worker, 0);
    ++calls;
    where = std::this_thread::get_id();
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(where, std::this_thread::get_id());
}

TEST(ThreadPool, RejectsZeroThreads) { EXPECT_THROW(ThreadPool(0), Error); }

TEST(ThreadPool, ShareCoversTheRangeContiguously) {
  for (size_t n : {0, 1, 7, 100})
    for (int workers : {1, 3, 8}) {
      size_t next = 0;
      for (int w = 0; w < workers; ++w) {
        const auto [lo, hi] = ThreadPool::share(n, w, workers);
        EXPECT_EQ(lo, next);
        EXPECT_LE(hi - lo, n / workers + 1);
        next = hi;
      }
      EXPECT_EQ(next, n);
    }
}

TEST(ThreadPool, DestroysIdleAndFreshPools) {
  { ThreadPool fresh(4); }
  ThreadPool pool(4);
  pool.run([](int) {});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

}  // namespace
}  // namespace reco
