// parallel_for — split [begin, end) into `threads` contiguous chunks, one per worker.
// A worker's exception is captured and the first one is rethrown on the caller's thread
// after all workers have joined; a worker that has not started its chunk when another
// has failed skips it (a running chunk is not interrupted). `grain` is the smallest chunk
// worth a thread: fewer than two grains run inline. With threads == 1 the body runs
// inline, in order, on the caller's thread.
#pragma once

#include <cstddef>
#include <functional>

namespace reco {

/// body(chunk_begin, chunk_end, worker_id); worker_id in [0, threads).
using RangeBody = std::function<void(size_t, size_t, int)>;

void parallel_for(int threads, size_t begin, size_t end, const RangeBody& body, size_t grain = 1);

/// Run `count` independent tasks task(i, worker_id) with dynamic scheduling.
void parallel_tasks(int threads, size_t count, const std::function<void(size_t, int)>& task);

}  // namespace reco
