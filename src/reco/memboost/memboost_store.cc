#include "reco/memboost/memboost_store.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "reco/core/error.h"

namespace reco::memboost {

namespace {
constexpr const char* kMetaFamily = "meta";

void put_u64_le(std::string& s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
uint64_t get_u64_le(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}
void put_u64_be(std::string& s, uint64_t v) {
  for (int i = 7; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
uint64_t get_u64_be(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

void check(const rocksdb::Status& s, const std::string& path, const char* what) {
  if (!s.ok()) RECO_THROW(ErrorCode::kIo) << "memboost store " << path << ": " << what << ": " << s.ToString();
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}
}  // namespace

std::string MemboostStore::encode_key(const PairKey& key) {
  std::string s;
  s.reserve(16);
  put_u64_be(s, key.query);
  put_u64_be(s, key.item);
  return s;
}

PairKey MemboostStore::decode_key(std::string_view b) {
  RECO_CHECK_CODE(b.size() == 16, ErrorCode::kCorrupt) << "memboost store key of " << b.size() << " bytes";
  return {get_u64_be(b.data()), get_u64_be(b.data() + 8)};
}

MemboostStore::MemboostStore(const std::string& path, Mode mode) : path_(path), mode_(mode) {
  rocksdb::DBOptions options;
  options.create_if_missing = mode == Mode::kReadWrite;
  options.create_missing_column_families = mode == Mode::kReadWrite;
  // Counters: most keys of a batch are new pairs, so Bloom filters let their Gets skip the SST files.
  rocksdb::ColumnFamilyOptions data_options;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  data_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  data_options.write_buffer_size = 64 << 20;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, data_options},
      {kMetaFamily, rocksdb::ColumnFamilyOptions()}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = mode == Mode::kReadWrite
                          ? rocksdb::DB::Open(options, path, families, &handles, &raw)
                          : rocksdb::DB::OpenForReadOnly(options, path, families, &handles, &raw);
  if (!s.ok()) {
    RECO_THROW(s.IsIOError() || s.IsInvalidArgument() ? ErrorCode::kNotFound : ErrorCode::kIo)
        << "memboost store " << path << ": cannot open" << (mode == Mode::kReadOnly ? " (read-only)" : "") << ": "
        << s.ToString() << (mode == Mode::kReadOnly ? " (create it with `reco memboost update`)" : "");
  }
  db_.reset(raw);
  data_ = handles[0];
  meta_ = handles[1];
  const std::string types = read_meta("types");
  size_t start = 0;
  while (!types.empty() && start <= types.size()) {
    size_t end = types.find(',', start);
    if (end == std::string::npos) end = types.size();
    types_.push_back(types.substr(start, end - start));
    start = end + 1;
  }
}

MemboostStore::~MemboostStore() {
  if (db_) {
    db_->DestroyColumnFamilyHandle(meta_);
    db_->DestroyColumnFamilyHandle(data_);
    db_->Close();
  }
}

std::string MemboostStore::read_meta(const std::string& name) const {
  std::string v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_, name, &v);
  if (s.IsNotFound()) return "";
  check(s, path_, "reading meta");
  return v;
}

void MemboostStore::bind(const std::vector<std::string>& types, uint64_t priors_fingerprint) {
  RECO_CHECK(!types.empty() && types.size() <= kMaxEngagementTypes)
      << "memboost store: 1.." << kMaxEngagementTypes << " engagement types, got " << types.size();
  const std::string fp = read_meta("priors");
  if (types_.empty()) {
    RECO_CHECK_CODE(mode_ == Mode::kReadWrite, ErrorCode::kInvalidArgument)
        << "memboost store " << path_ << " is empty (opened read-only)";
    rocksdb::WriteBatch b;
    std::string f;
    put_u64_le(f, priors_fingerprint);
    b.Put(meta_, "types", join(types));
    b.Put(meta_, "priors", f);
    rocksdb::WriteOptions w;
    w.sync = true;
    check(db_->Write(w, &b), path_, "writing meta");
    types_ = types;
    return;
  }
  RECO_CHECK_CODE(types_ == types, ErrorCode::kInvalidArgument)
      << "memboost store " << path_ << " counts engagement types '" << join(types_) << "', the log has '"
      << join(types) << "'";
  RECO_CHECK_CODE(fp.size() == 8 && get_u64_le(fp.data()) == priors_fingerprint, ErrorCode::kInvalidArgument)
      << "memboost store " << path_ << " was built with other position priors: expected counts would mix two "
      << "priors (use the same --priors file, or a new store)";
}

StoreCursor MemboostStore::cursor() const {
  const std::string v = read_meta("cursor");
  if (v.empty()) return {};
  RECO_CHECK_CODE(v.size() == 24, ErrorCode::kCorrupt) << "memboost store " << path_ << ": cursor of " << v.size()
                                                       << " bytes, expected 24";
  return {get_u64_le(v.data()), get_u64_le(v.data() + 8), get_u64_le(v.data() + 16)};
}

void MemboostStore::apply(const std::vector<std::pair<PairKey, PairCounters>>& increments, const StoreCursor& next) {
  RECO_CHECK_CODE(mode_ == Mode::kReadWrite, ErrorCode::kInvalidArgument) << "memboost store opened read-only";
  RECO_CHECK(!types_.empty()) << "memboost store: bind() the engagement types before apply()";
  // One MultiGet for the batch's current values (keys sorted: the caller passes key order or not,
  // MultiGet sorts a copy when told the input is unsorted).
  // Read-modify-write is safe: this process is the only writer (RocksDB LOCK) and increments are
  // merged per pair by the caller, so a key appears once per batch.
  const size_t n = increments.size();
  std::vector<std::string> keys(n);
  std::vector<rocksdb::Slice> slices(n);
  for (size_t i = 0; i < n; ++i) {
    RECO_CHECK_EQ(increments[i].second.types, types_.size()) << "increment engagement types";
    keys[i] = encode_key(increments[i].first);
    slices[i] = keys[i];
  }
  const bool sorted = std::is_sorted(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  if (n > 0)
    db_->MultiGet(rocksdb::ReadOptions(), data_, n, slices.data(), values.data(), statuses.data(), sorted);
  rocksdb::WriteBatch batch;
  for (size_t i = 0; i < n; ++i) {
    PairCounters c(static_cast<uint32_t>(types_.size()));
    if (statuses[i].ok()) {
      c = unpack_counters(std::string_view(values[i].data(), values[i].size()));
    } else if (!statuses[i].IsNotFound()) {
      check(statuses[i], path_, "reading counters");
    }
    c.add(increments[i].second);
    batch.Put(data_, keys[i], pack_counters(c));
  }
  std::string cur;
  put_u64_le(cur, next.rows_applied);
  put_u64_le(cur, next.last_request_id);
  put_u64_le(cur, next.batches);
  batch.Put(meta_, "cursor", cur);
  rocksdb::WriteOptions w;
  w.sync = true;  // acknowledged == durable: fsync the WAL before returning
  check(db_->Write(w, &batch), path_, "writing a batch");
}

void MemboostStore::flush() {
  if (mode_ != Mode::kReadWrite) return;
  check(db_->Flush(rocksdb::FlushOptions(), {data_, meta_}), path_, "flushing");
}

std::optional<PairCounters> MemboostStore::get(const PairKey& key) const {
  std::string v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), data_, encode_key(key), &v);
  if (s.IsNotFound()) return std::nullopt;
  check(s, path_, "reading counters");
  return unpack_counters(v);
}

std::vector<std::optional<PairCounters>> MemboostStore::get_many(std::span<const PairKey> keys) const {
  const size_t n = keys.size();
  std::vector<std::optional<PairCounters>> out(n);
  if (n == 0) return out;
  std::vector<std::string> encoded(n);
  std::vector<rocksdb::Slice> slices(n);
  for (size_t i = 0; i < n; ++i) {
    encoded[i] = encode_key(keys[i]);
    slices[i] = encoded[i];
  }
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  db_->MultiGet(rocksdb::ReadOptions(), data_, n, slices.data(), values.data(), statuses.data(),
                std::is_sorted(encoded.begin(), encoded.end()));
  for (size_t i = 0; i < n; ++i) {
    if (statuses[i].IsNotFound()) continue;
    check(statuses[i], path_, "reading counters");
    out[i] = unpack_counters(std::string_view(values[i].data(), values[i].size()));
  }
  return out;
}

std::vector<std::pair<uint64_t, PairCounters>> MemboostStore::results(uint64_t query) const {
  std::string prefix;
  put_u64_be(prefix, query);
  std::vector<std::pair<uint64_t, PairCounters>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), data_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const PairKey k = decode_key(std::string_view(it->key().data(), it->key().size()));
    out.emplace_back(k.item, unpack_counters(std::string_view(it->value().data(), it->value().size())));
  }
  check(it->status(), path_, "scanning");
  return out;
}

uint64_t MemboostStore::pair_count() const {
  uint64_t n = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), data_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  check(it->status(), path_, "scanning");
  return n;
}

}  // namespace reco::memboost
