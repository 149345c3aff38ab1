// VisitCounter: node index (u32) -> visit count (u32), an open-addressing hash table sized
// for the expected number of distinct nodes a walk touches (never more than its steps),
// so a 100k-step query on a graph with millions of items costs ~1 MB, not a dense array.
// Key UINT32_MAX marks an empty slot (node indices are < UINT32_MAX). Grows at load 1/2.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace reco::graph {

class VisitCounter {
 public:
  static constexpr uint32_t kEmpty = UINT32_MAX;

  explicit VisitCounter(size_t expected_distinct = 64) {
    size_t c = 64;
    while (c < expected_distinct * 2) c *= 2;
    keys_.assign(c, kEmpty);
    counts_.assign(c, 0);
    mask_ = c - 1;
  }

  /// Adds `n` visits to `node`; returns its new count.
  uint32_t add(uint32_t node, uint32_t n = 1) {
    size_t slot = hash(node) & mask_;
    while (keys_[slot] != kEmpty) {
      if (keys_[slot] == node) return counts_[slot] += n;
      slot = (slot + 1) & mask_;
    }
    if ((size_ + 1) * 2 > keys_.size()) {
      grow();
      return add(node, n);
    }
    keys_[slot] = node;
    counts_[slot] = n;
    ++size_;
    return n;
  }

  uint32_t get(uint32_t node) const {
    size_t slot = hash(node) & mask_;
    while (keys_[slot] != kEmpty) {
      if (keys_[slot] == node) return counts_[slot];
      slot = (slot + 1) & mask_;
    }
    return 0;
  }

  size_t size() const { return size_; }

  /// f(node, count) for every visited node, in slot order.
  template <typename F>
  void for_each(F&& f) const {
    for (size_t i = 0; i < keys_.size(); ++i)
      if (keys_[i] != kEmpty) f(keys_[i], counts_[i]);
  }

 private:
  static size_t hash(uint32_t x) { return (static_cast<uint64_t>(x) * 0x9e3779b97f4a7c15ULL) >> 20; }
  void grow() {
    VisitCounter bigger(keys_.size());
    for_each([&](uint32_t k, uint32_t c) { bigger.add(k, c); });
    *this = std::move(bigger);
  }

  std::vector<uint32_t> keys_;
  std::vector<uint32_t> counts_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace reco::graph
