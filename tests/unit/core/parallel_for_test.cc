#include "reco/core/parallel_for.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

#include "reco/core/error.h"

namespace reco {
namespace {

struct CoverCase {
  int threads;
  size_t begin;
  size_t end;
  size_t grain;
};

TEST(ParallelFor, CoversEveryIndexExactlyOnce) {
  const std::vector<CoverCase> cases = {
      {1, 0, 0, 1},   {4, 0, 0, 1},    {1, 0, 1, 1},    {4, 0, 1, 1},     {3, 5, 6, 1},
      {2, 0, 7, 1},   {3, 0, 7, 1},    {8, 0, 7, 1},    {4, 10, 1011, 1}, {5, 0, 1001, 64},
      {7, 3, 100, 1}, {16, 0, 33, 1},  {4, 0, 100, 1000},
  };
  for (const auto& c : cases) {
    std::vector<std::atomic<int>> hits(c.end + 1);
    std::atomic<int> max_worker{-1};
    parallel_for(c.threads, c.begin, c.end, [&](size_t lo, size_t hi, int w) {
      EXPECT_LE(lo, hi);
      EXPECT_GE(w, 0);
      EXPECT_LT(w, c.threads);
      int prev = max_worker.load();
      while (w > prev && !max_worker.compare_exchange_weak(prev, w)) {}
      for (size_t i = lo; i < hi; ++i) hits[i].fetch_add(1);
    }, c.grain);
    for (size_t i = 0; i <= c.end; ++i) {
      const int want = (i >= c.begin && i < c.end) ? 1 : 0;
      ASSERT_EQ(hits[i].load(), want) << "index " << i << " threads " << c.threads << " range ["
                                      << c.begin << "," << c.end << ")";
    }
  }
}

TEST(ParallelFor, SingleThreadRunsInlineInOrder) {
  std::vector<size_t> order;
  parallel_for(1, 0, 5, [&](size_t lo, size_t hi, int w) {
    EXPECT_EQ(w, 0);
    for (size_t i = lo; i < hi; ++i) order.push_back(i);
  });
  EXPECT_EQ(order, (std::vector<size_t>{0, 1, 2, 3, 4}));
}

TEST(ParallelFor, RejectsZeroThreads) {
  EXPECT_THROW(parallel_for(0, 0, 10, [](size_t, size_t, int) {}), Error);
}

TEST(ParallelFor, WorkerExceptionIsRethrownOnCaller) {
  // Fault injected in the last worker (never the caller's own worker 0).
  for (int threads : {2, 3, 8}) {
    try {
      parallel_for(threads, 0, 1000, [&](size_t, size_t, int w) {
        if (w == threads - 1) RECO_THROW(ErrorCode::kParse) << "bad row in worker " << w;
      });
      FAIL() << "no exception with " << threads << " threads";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kParse);
      EXPECT_EQ(e.message(), "bad row in worker " + std::to_string(threads - 1));
    }
  }
  // A non-reco exception keeps its type too.
  EXPECT_THROW(parallel_for(4, 0, 100, [](size_t, size_t, int w) {
                 if (w == 2) throw std::out_of_range("index 7");
               }),
               std::out_of_range);
}

TEST(ParallelTasks, RunsEveryTaskExactlyOnce) {
  for (int threads : {1, 2, 3, 8}) {
    for (size_t count : {size_t{0}, size_t{1}, size_t{7}, size_t{1001}}) {
      std::vector<std::atomic<int>> hits(count);
      parallel_tasks(threads, count, [&](size_t i, int w) {
        EXPECT_GE(w, 0);
        EXPECT_LT(w, threads);
        hits[i].fetch_add(1);
      });
      for (size_t i = 0; i < count; ++i) ASSERT_EQ(hits[i].load(), 1) << i;
    }
  }
}

TEST(ParallelTasks, WorkerExceptionIsRethrownOnCaller) {
  // Task 5 throws in whichever worker picks it; with tasks that wait for every worker to
  // start, a non-zero worker is sure to run some tasks, so also inject there.
  try {
    parallel_tasks(4, 20, [](size_t i, int) {
      if (i == 5) RECO_THROW(ErrorCode::kCorrupt) << "task " << i << " failed";
    });
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt);
    EXPECT_EQ(e.message(), "task 5 failed");
  }
  std::atomic<int> started{0};
  EXPECT_THROW(parallel_tasks(3, 3, [&](size_t, int w) {
                 started.fetch_add(1);
                 while (started.load() < 3) {}  // all three tasks run at once, one per worker
                 if (w == 2) throw std::invalid_argument("worker 2");
               }),
               std::invalid_argument);
}

}  // namespace
}  // namespace reco
