// Full scan of a dataset file: open (every section checksum verified) and read every value of
// every column. Prints JSON {"seconds": median, "runs": [...], "bytes", "checksum"} so a script
// can compare it with the time to parse the same data from text.
//   reco_bench_dataset_scan FILE [--runs N] [--no-verify]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "reco/core/error.h"
#include "reco/data/dataset.h"

namespace {

double scan_once(const std::string& path, bool verify, double& sink, uint64_t& bytes) {
  auto start = std::chrono::steady_clock::now();
  reco::Dataset ds = reco::Dataset::open(path, {.verify_checksums = verify, .validate_ids = false});
  double acc = 0;
  bytes = 0;
  // Sums every value so the compiler cannot skip the reads.
  auto add = [&](auto values) {
    using T = typename decltype(values)::value_type;
    std::conditional_t<std::is_floating_point_v<T>, float, uint64_t> s = 0;  // vectorizable
    for (auto x : values) s += x;
    acc += static_cast<double>(s);
    bytes += values.size_bytes();
  };
  for (const auto& col : ds.columns()) {
    switch (col.storage) {
      case reco::ColumnStorage::kF32: add(ds.f32(col.name)); break;
      case reco::ColumnStorage::kU32: add(ds.u32(col.name)); break;
      case reco::ColumnStorage::kI32: add(ds.i32(col.name)); break;
      case reco::ColumnStorage::kI64: add(ds.i64(col.name)); break;
      case reco::ColumnStorage::kMultiHotU32: {
        auto mh = ds.multi_hot(col.name);
        add(mh.values);
        add(mh.offsets);
        break;
      }
    }
  }
  sink += acc;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [--runs N] [--no-verify]\n", argv[0]);
    return 2;
  }
  std::string path = argv[1];
  int runs = 5;
  bool verify = true;
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--no-verify")) verify = false;
  }
  try {
    std::vector<double> times;
    double sink = 0;
    uint64_t bytes = 0;
    for (int r = 0; r < runs; ++r) times.push_back(scan_once(path, verify, sink, bytes));
    std::vector<double> sorted = times;
    std::sort(sorted.begin(), sorted.end());
    std::printf("{\"seconds\": %.6f, \"runs\": [", sorted[sorted.size() / 2]);
    for (size_t i = 0; i < times.size(); ++i) std::printf("%s%.6f", i ? ", " : "", times[i]);
    std::printf("], \"bytes\": %llu, \"verify_checksums\": %s, \"checksum\": %.6g}\n", (unsigned long long)bytes,
                verify ? "true" : "false", sink);
  } catch (const reco::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
