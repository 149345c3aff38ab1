// IdMap: raw u64 id -> dense u32 index, an open-addressing hash table (linear probing,
// power-of-two capacity, load <= 1/2). Used to densify CSV edge lists; built once,
// single-threaded. Keys are stored with an "occupied" marker in a separate byte array so
// every u64 value (0 and ~0 included) is a valid id.
#pragma once

#include <cstdint>
#include <vector>

#include "reco/core/rng.h"

namespace reco::graph {

class IdMap {
 public:
  static constexpr uint32_t kMissing = UINT32_MAX;

  explicit IdMap(size_t expected = 16) { rehash(capacity_for(expected)); }

  /// Index of `id`, inserting it with the next index (= size()) when new.
  uint32_t insert(uint64_t id) {
    if ((size_ + 1) * 2 > keys_.size()) rehash(keys_.size() * 2);
    size_t slot = mix64(id) & mask_;
    while (used_[slot]) {
      if (keys_[slot] == id) return values_[slot];
      slot = (slot + 1) & mask_;
    }
    used_[slot] = 1;
    keys_[slot] = id;
    values_[slot] = static_cast<uint32_t>(size_);
    return static_cast<uint32_t>(size_++);
  }

  uint32_t find(uint64_t id) const {
    size_t slot = mix64(id) & mask_;
    while (used_[slot]) {
      if (keys_[slot] == id) return values_[slot];
      slot = (slot + 1) & mask_;
    }
    return kMissing;
  }

  size_t size() const { return size_; }

 private:
  static size_t capacity_for(size_t n) {
    size_t c = 16;
    while (c < n * 2) c *= 2;
    return c;
  }
  void rehash(size_t capacity) {
    std::vector<uint64_t> keys(capacity);
    std::vector<uint32_t> values(capacity);
    std::vector<uint8_t> used(capacity, 0);
    const size_t mask = capacity - 1;
    for (size_t i = 0; i < keys_.size(); ++i) {
      if (!used_[i]) continue;
      size_t slot = mix64(keys_[i]) & mask;
      while (used[slot]) slot = (slot + 1) & mask;
      used[slot] = 1;
      keys[slot] = keys_[i];
      values[slot] = values_[i];
    }
    keys_.swap(keys);
    values_.swap(values);
    used_.swap(used);
    mask_ = capacity - 1;
  }

  std::vector<uint64_t> keys_;
  std::vector<uint32_t> values_;
  std::vector<uint8_t> used_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace reco::graph
