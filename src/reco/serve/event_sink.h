// EventSink — the durable sink behind POST /v1/events (docs/serving.md "Events and durability").
//
// State directory layout:
//   <state>/events.csv   the event log (event_log_appender.h): EventWriter's CSV format, header
//                        first; the write-ahead log of the sink and training data for later runs
//   <state>/memboost/    a MemboostStore (memboost_store.h), read-write, whose cursor counts rows
//                        of <state>/events.csv — so `reco memboost update --events <state>/events.csv
//                        --store <state>/memboost` is a no-op on a consistent state
// When <state>/memboost does not exist and a seed store is given (the bundle's Memboost store),
// the seed is copied in (fsynced, then renamed into place) and its cursor reset to row 0 of the
// new log: the counters start from the bundle's history and grow with the live events.
//
// append(events): validates every event (nothing of the call is stored on an error), converts it
// to a reco::Event (timestamp 0 -> the server clock, sample_weight 1, alpha 1: live events are not
// downsampled), then, under group commit:
//   1. the rows of every queued call are written to the log with ONE write + ONE fdatasync;
//   2. their Memboost increments (per (query, item) pair, expected counts from the priors) are
//      applied to the store in ONE synced, atomic RocksDB batch whose cursor = log rows after it;
//   3. every call of the group returns its EventsAck.
// Acknowledged => in the log and counted in the store. A crash between 1 and 2 leaves log rows
// beyond the store's cursor: the next open applies them (memboost::update_store). A crash during 1
// leaves a torn last line: the next open truncates it (it was never acknowledged).
//
// Order guarantees: a call's events are contiguous in the log, in the call's order. Calls enter
// the queue in the order they take the sink's mutex; groups are written in queue order. A call
// that returned before another call started precedes it in the log. Delivery is at-least-once: a
// call that fails after its rows reached the log (store write error) is still counted at the next
// open; a client retrying it would log it twice.
//
// Failure: an I/O error while writing a group leaves the sink failed: that group's calls and every
// later call throw kIo until the process reopens the state (which recovers as above).
//
// Threading: append() may be called from any number of threads. store() is read concurrently by
// the serving path (RocksDB Gets are thread-safe beside the one writer). The sink holds the
// store's RocksDB LOCK: one sink per state directory per machine. Destroy the sink only after
// every append() has returned (stop the HTTP workers first).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "reco/data/event_log.h"
#include "reco/memboost/memboost_store.h"
#include "reco/memboost/position_priors.h"
#include "reco/serve/event_log_appender.h"
#include "reco/serve/service.h"

namespace reco::serve {

struct SinkOptions {
  std::string state_dir;  ///< created when missing
  /// Required. Its engagement types are the log's engagement columns and the accepted keys of
  /// EventIn::engaged; its expected counts go into the store (whose priors fingerprint must match).
  std::shared_ptr<const memboost::PositionPriors> priors;
  /// Optional: a Memboost store directory copied to <state>/memboost when that does not exist.
  std::string seed_store;
  /// A group takes whole queued calls while their events total at most this (always >= 1 call).
  size_t max_group_events = 100000;
  /// Seconds since the epoch for events with timestamp 0; empty = the system clock.
  std::function<int64_t()> clock;
};

struct SinkStats {
  uint64_t events = 0;          ///< events acknowledged since open
  uint64_t calls = 0;           ///< append() calls acknowledged (with >= 1 event)
  uint64_t groups = 0;          ///< group commits (= log write + fdatasync + store batch)
  uint64_t log_fsyncs = 0;      ///< fdatasyncs of the log since open
  uint64_t store_writes = 0;    ///< synced store batches since open
  uint64_t recovered_rows = 0;  ///< log rows beyond the store's cursor applied at open
  uint64_t torn_lines = 0;      ///< torn last lines truncated at open (0 or 1)
  uint64_t torn_bytes = 0;
  bool seeded = false;          ///< the store was copied from the seed at open
};

/// Validates `in` and converts it to log events (engaged in `types` order). Throws kInvalidArgument
/// "events[<i>].<field>: <what>" for the first bad event; `now` replaces timestamp 0.
std::vector<Event> to_log_events(const std::vector<EventIn>& in, const std::vector<std::string>& types, int64_t now);

class EventSink {
 public:
  /// Opens or creates the state directory and recovers it (see above): after construction the
  /// log's rows == the store's cursor. Throws kCorrupt when the store has applied more rows than
  /// the log holds, or its last applied request differs from the log's row there; kInvalidArgument
  /// when the store was built with other engagement types or priors; kIo on file errors.
  explicit EventSink(SinkOptions opt);
  ~EventSink();
  EventSink(const EventSink&) = delete;
  EventSink& operator=(const EventSink&) = delete;

  /// Durable when it returns (log + store). ack.log_rows = the log's rows up to and including this
  /// call's last event. An empty call stores nothing and returns {0, log_rows()}.
  EventsAck append(const std::vector<EventIn>& events);

  const memboost::MemboostStore& store() const { return *store_; }
  const memboost::PositionPriors& priors() const { return *opt_.priors; }
  const std::vector<std::string>& engagement_types() const { return opt_.priors->types(); }
  /// Rows of the log that are durable in both log and store.
  uint64_t log_rows() const { return log_rows_.load(std::memory_order_acquire); }
  SinkStats stats() const;
  std::string log_path() const;
  std::string store_path() const;

 private:
  struct Call;
  void open_store();
  void recover();
  void commit_group(const std::vector<Call*>& group);

  SinkOptions opt_;
  std::unique_ptr<EventLogAppender> log_;
  std::unique_ptr<memboost::MemboostStore> store_;
  memboost::StoreCursor cursor_;  // the store's cursor; written by the group leader only
  std::atomic<uint64_t> log_rows_{0};

  mutable std::mutex mu_;  // guards queue_, writing_, failed_, stats_
  std::condition_variable cv_;
  std::deque<Call*> queue_;
  bool writing_ = false;       // a leader is committing a group (outside the mutex)
  std::string failed_;         // non-empty: the sink is failed, the reason
  SinkStats stats_;
};

}  // namespace reco::serve
