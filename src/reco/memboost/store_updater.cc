#include "reco/memboost/store_updater.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "reco/core/error.h"
#include "reco/core/progress.h"
#include "reco/core/timer.h"

namespace reco::memboost {

UpdateReport update_store(MemboostStore& store, const std::string& events_path, const PositionPriors& priors,
                          const UpdateOptions& opt, const RunContext& ctx) {
  RECO_CHECK(opt.batch_rows > 0) << "batch rows must be > 0";
  Stopwatch clock;
  EventReader reader(events_path);
  RECO_CHECK_CODE(reader.engagement_types() == priors.types(), ErrorCode::kInvalidArgument)
      << events_path << ": engagement types differ from the position priors' (estimate priors on this log)";
  store.bind(reader.engagement_types(), priors.fingerprint());
  UpdateReport report;
  StoreCursor cursor = store.cursor();
  Event e;
  for (uint64_t i = 0; i < cursor.rows_applied; ++i) {
    RECO_CHECK_CODE(reader.next(e), ErrorCode::kInvalidArgument)
        << events_path << " has " << i << " rows but store " << store.path() << " already applied "
        << cursor.rows_applied << ": not the log this store was built from";
  }
  if (cursor.rows_applied > 0) {
    RECO_CHECK_CODE(e.request_id == cursor.last_request_id, ErrorCode::kInvalidArgument)
        << events_path << ":" << reader.line_number() << ": request " << e.request_id << ", but store "
        << store.path() << " last applied request " << cursor.last_request_id
        << " at this row: not the log this store was built from";
  }
  report.rows_skipped = cursor.rows_applied;

  const auto types = static_cast<uint32_t>(priors.types().size());
  std::unordered_map<PairKey, PairCounters, PairKeyHash> pending;
  uint64_t pending_rows = 0, last_request = cursor.last_request_id;
  Progress progress("memboost update", reader.file_size(), ctx);
  auto flush = [&] {
    if (pending_rows == 0) return;
    std::vector<std::pair<PairKey, PairCounters>> inc(pending.begin(), pending.end());
    // Key order (query, then result — the store's byte order): RocksDB's memtable skip list finds
    // and inserts neighbouring keys far faster than random ones.
    std::sort(inc.begin(), inc.end(), [](const auto& a, const auto& b) {
      return a.first.query != b.first.query ? a.first.query < b.first.query : a.first.item < b.first.item;
    });
    StoreCursor next{cursor.rows_applied + pending_rows, last_request, cursor.batches + 1};
    store.apply(inc, next);
    cursor = next;
    report.rows_applied += pending_rows;
    report.pairs_touched += inc.size();
    ++report.batches;
    pending.clear();
    pending_rows = 0;
    progress.update(reader.bytes_read());
    if (opt.on_batch) opt.on_batch(cursor);
  };
  while (reader.next(e)) {
    if (pending_rows >= opt.batch_rows && e.request_id != last_request) flush();
    auto [it, fresh] = pending.try_emplace(pair_key(e), types);
    add_impression(it->second, e, priors);
    ++pending_rows;
    last_request = e.request_id;
  }
  flush();
  if (report.batches > 0) store.flush();  // later opens start from SST files, not a WAL replay
  progress.finish();
  report.cursor = cursor;
  report.seconds = clock.elapsed_seconds();
  return report;
}

}  // namespace reco::memboost
