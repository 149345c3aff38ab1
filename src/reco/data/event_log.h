// Event log — the one impression-level record shared by the simulator, ingested real logs and
// serving (shared/docs/architecture.md "One event model"), and its CSV form (docs/formats.md §events).
//
// CSV layout: a header line, then one impression per line, comma-separated, no quoting:
//   required  request_id (u64), timestamp (unix seconds, i64), user_id (u64), item_id (u64),
//             position (1-based u32)
//   optional  query_item_id (u64; empty = no query item, e.g. a home-feed request),
//             platform, locale, policy (short strings without commas; empty allowed),
//             dwell (seconds, f64 >= 0; 0 when unknown), sample_weight (f64 > 0, default 1:
//             the inverse of the probability that this row was logged), alpha (f64 in (0,1],
//             default 1: the keep-rate applied to this request's impressions without engagement)
//   any other column is an engagement type (0/1), in header order (e.g. closeup, click, long_click, save).
//
// Ownership: Event is a value type reused across next() calls (its strings keep their capacity).
// EventReader streams a file (plain or gzip) with O(1) memory; EventWriter writes atomically
// (core/text_writer.h) in the canonical column order.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace reco {

struct Event {
  static constexpr uint64_t kNoQuery = std::numeric_limits<uint64_t>::max();

  uint64_t request_id = 0;
  int64_t timestamp = 0;
  uint64_t user_id = 0;
  uint64_t query_item_id = kNoQuery;  ///< kNoQuery when the request had no query item
  uint64_t item_id = 0;
  uint32_t position = 1;              ///< 1-based rank at which the item was shown
  std::string platform;
  std::string locale;
  std::string policy;                 ///< the policy that chose the list ("model", "random", ...)
  std::vector<uint8_t> engaged;       ///< one 0/1 per engagement type of the log, in its order
  double dwell = 0.0;
  double sample_weight = 1.0;
  double alpha = 1.0;

  bool has_query() const { return query_item_id != kNoQuery; }
};

class EventReader {
 public:
  explicit EventReader(const std::string& path);
  ~EventReader();
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  /// Engagement type names, in column order.
  const std::vector<std::string>& engagement_types() const;
  /// Index of an engagement type, or -1.
  int engagement_index(const std::string& name) const;
  /// Reads the next impression into `e`; false at end of file. Throws kParse naming
  /// "<path>:<line>: field '<column>'" and what was expected.
  bool next(Event& e);
  /// 1-based line of the last event read (the header is line 1).
  int64_t line_number() const;
  /// File bytes consumed so far and the file size (for progress).
  uint64_t bytes_read() const;
  uint64_t file_size() const;
  const std::string& path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class EventWriter {
 public:
  /// Writes the header at once; `engagement_types` fixes the engagement columns.
  EventWriter(const std::string& path, std::vector<std::string> engagement_types);
  ~EventWriter();
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  /// e.engaged must have one entry per engagement type.
  void write(const Event& e);
  /// Makes the file visible (atomic rename); without it the file is not created.
  void commit();
  uint64_t rows() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reco
