// PairIndex — maps (query, result) pairs to dense slot ids 0, 1, 2, ... in insertion order: an
// open-addressing table with linear probing (power-of-two capacity, load <= 1/2), so a lookup is
// usually one cache miss where std::unordered_map costs a bucket, a node and a value.
//
// Data layout: one array of {query, item, slot + 1} entries (slot + 1 == 0 marks an empty entry).
// Owns its memory; not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "reco/memboost/counters.h"

namespace reco::memboost {

class PairIndex {
 public:
  static constexpr uint32_t kMissing = UINT32_MAX;

  PairIndex() { entries_.resize(1024); }

  /// The slot of `key`, or kMissing.
  uint32_t find(const PairKey& key) const {
    const size_t mask = entries_.size() - 1;
    for (size_t i = PairKeyHash{}(key) & mask;; i = (i + 1) & mask) {
      const Entry& e = entries_[i];
      if (e.slot_plus_one == 0) return kMissing;
      if (e.query == key.query && e.item == key.item) return e.slot_plus_one - 1;
    }
  }

  /// The slot of `key`, giving it the next free slot (== size() before the call) when new.
  uint32_t find_or_insert(const PairKey& key) {
    if (2 * (size_ + 1) > entries_.size()) grow();
    const size_t mask = entries_.size() - 1;
    for (size_t i = PairKeyHash{}(key) & mask;; i = (i + 1) & mask) {
      Entry& e = entries_[i];
      if (e.slot_plus_one == 0) {
        e = {key.query, key.item, ++size_};
        return size_ - 1;
      }
      if (e.query == key.query && e.item == key.item) return e.slot_plus_one - 1;
    }
  }

  /// Hints the cache to load `key`'s probe start (batch lookups: prefetch all, then find).
  void prefetch(const PairKey& key) const {
    __builtin_prefetch(&entries_[PairKeyHash{}(key) & (entries_.size() - 1)]);
  }

  uint32_t size() const { return size_; }

 private:
  struct Entry {
    uint64_t query = 0, item = 0;
    uint32_t slot_plus_one = 0;
  };

  void grow() {
    std::vector<Entry> old(entries_.size() * 2);
    old.swap(entries_);
    const size_t mask = entries_.size() - 1;
    for (const Entry& e : old) {
      if (e.slot_plus_one == 0) continue;
      size_t i = PairKeyHash{}({e.query, e.item}) & mask;
      while (entries_[i].slot_plus_one != 0) i = (i + 1) & mask;
      entries_[i] = e;
    }
  }

  std::vector<Entry> entries_;
  uint32_t size_ = 0;
};

}  // namespace reco::memboost
