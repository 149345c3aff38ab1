// MemboostStore — persistent Memboost counters in RocksDB, for serving and incremental updates.
//
// Layout (two column families):
//   default  key   = query id (u64 big-endian) ‖ result id (u64 big-endian), 16 bytes; big-endian so
//                    keys sort by query then result and a prefix scan on 8 bytes lists a query's
//                    results. Item-level memory (requests without a query item) uses query = kNoQuery.
//            value = pack_counters() (counters.h): version byte, type count, doubles.
//   meta     "types"  engagement type names, comma-joined — fixed at the first update
//            "priors" fingerprint of the PositionPriors that computed the expected counts (u64 LE)
//            "cursor" StoreCursor: rows of the event log applied so far, last applied request id,
//                     batches applied (3 × u64 LE)
// Durability: apply() writes one WriteBatch (all pair increments of the batch + the new cursor)
// with WriteOptions::sync = true, so when apply() returns the batch is on disk via the WAL, and a
// batch is either wholly visible after a crash or not at all. The cursor lives in the same atomic
// batch, so a resumed update never double-counts or skips a batch.
// Ownership: the store owns the rocksdb::DB handle; one writer process at a time (RocksDB's LOCK file
// enforces it); read-only opens may run beside the writer. Not thread-safe for concurrent apply().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "reco/memboost/counters.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace reco::memboost {

struct StoreCursor {
  uint64_t rows_applied = 0;     ///< event-log rows (from the file's start) already counted
  uint64_t last_request_id = 0;  ///< request id of the last applied row (checked on resume)
  uint64_t batches = 0;          ///< batches applied so far
  bool operator==(const StoreCursor&) const = default;
};

class MemboostStore {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  /// Opens (creating in kReadWrite mode) the store directory. Throws kIo naming the path.
  explicit MemboostStore(const std::string& path, Mode mode = Mode::kReadWrite);
  ~MemboostStore();
  MemboostStore(const MemboostStore&) = delete;
  MemboostStore& operator=(const MemboostStore&) = delete;

  /// Engagement types of the counters (empty before the first bind()).
  const std::vector<std::string>& types() const { return types_; }
  /// Fixes the store's engagement types and priors on first use; later calls check they match
  /// (kInvalidArgument otherwise: expected counts from other priors would not add up).
  void bind(const std::vector<std::string>& types, uint64_t priors_fingerprint);
  StoreCursor cursor() const;

  /// Adds `increments` to the stored counters and sets `next` as the cursor, in one synced batch.
  /// Returns once the batch is durable.
  void apply(const std::vector<std::pair<PairKey, PairCounters>>& increments, const StoreCursor& next);

  /// Writes the memtables to SST files, so later opens (read-only ones especially) need not
  /// replay a large WAL. Durability does not depend on it.
  void flush();

  std::optional<PairCounters> get(const PairKey& key) const;
  /// get() of many keys with one RocksDB MultiGet (the serving path: a request's candidates).
  std::vector<std::optional<PairCounters>> get_many(std::span<const PairKey> keys) const;
  /// Every result stored under `query` (prefix scan), ascending result id.
  std::vector<std::pair<uint64_t, PairCounters>> results(uint64_t query) const;
  /// Number of stored pairs (full scan; for reports and tests).
  uint64_t pair_count() const;
  const std::string& path() const { return path_; }

  /// The 16-byte key of a pair (exposed for tests and tools).
  static std::string encode_key(const PairKey& key);
  static PairKey decode_key(std::string_view bytes);

 private:
  std::string read_meta(const std::string& name) const;  // "" when absent
  std::string path_;
  Mode mode_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* data_ = nullptr;  // owned by db_ (default family)
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;  // destroyed before db_
  std::vector<std::string> types_;
};

}  // namespace reco::memboost
