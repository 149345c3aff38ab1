// A child process for the kill -9 test of the event sink, and the append benchmark.
//
//   reco_serve_event_sink_writer run <state_dir> <threads> <batch> <first_request_id>
//     appends forever from <threads> threads, each call one request of <batch> events with a fresh
//     request id; prints "acked <request_id>" (flushed) after each acknowledged append.
//   reco_serve_event_sink_writer bench <state_dir> <threads> <batch> <calls_per_thread>
//     appends calls_per_thread calls from each thread and prints one line of figures.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "event_sink_testlib.h"
#include "reco/core/error.h"
#include "reco/serve/event_sink.h"

using namespace reco::serve;

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s run|bench <state_dir> <threads> <batch> <first_request_id|calls>\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  const size_t threads = std::stoul(argv[3]), batch = std::stoul(argv[4]);
  const uint64_t arg = std::stoull(argv[5]);
  try {
    SinkOptions opt;
    opt.state_dir = argv[2];
    opt.priors = testlib::make_priors();
    EventSink sink(opt);
    std::mutex print;
    std::vector<std::thread> pool;
    const auto start = std::chrono::steady_clock::now();
    for (size_t t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        if (mode == "run") {
          for (uint64_t k = 0;; ++k) {
            const uint64_t id = arg + k * threads + t;
            sink.append(testlib::make_call(id, batch));
            std::lock_guard<std::mutex> lk(print);
            std::printf("acked %llu\n", static_cast<unsigned long long>(id));
            std::fflush(stdout);
          }
        } else {
          // Pre-built calls: the benchmark measures append(), not the generator.
          std::vector<std::vector<EventIn>> calls;
          for (uint64_t k = 0; k < arg; ++k) calls.push_back(testlib::make_call(1 + k * threads + t, batch));
          for (const auto& c : calls) sink.append(c);
        }
      });
    }
    for (auto& th : pool) th.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const SinkStats st = sink.stats();
    std::printf("threads=%zu batch=%zu calls=%llu events=%llu seconds=%.3f events_per_s=%.0f calls_per_s=%.0f "
                "groups=%llu log_fsyncs=%llu store_writes=%llu\n",
                threads, batch, static_cast<unsigned long long>(st.calls), static_cast<unsigned long long>(st.events),
                s, st.events / s, st.calls / s, static_cast<unsigned long long>(st.groups),
                static_cast<unsigned long long>(st.log_fsyncs), static_cast<unsigned long long>(st.store_writes));
  } catch (const reco::Error& e) {
    std::fprintf(stderr, "event_sink_writer: %s\n", e.what());
    return 1;
  }
  return 0;
}
