// EventLogAppender — the serving event log (docs/serving.md "Events and durability"): an
// append-only CSV file in the exact format EventWriter writes (data/event_log.h: header first,
// one impression per line), so `reco samples events`, `reco memboost update` and `reco ingest`
// read it like any other log. It is the write-ahead log of the event sink: rows are made durable
// here (write + fdatasync) before they are counted in the Memboost store.
//
// Open: a missing file is created with its header atomically (tmp + fsync + rename + directory
// fsync), so the header is never torn. An existing file must carry exactly the expected header.
// Bytes after the last '\n' are a torn line (a crash in the middle of an append): they were never
// acknowledged, so they are truncated away (the count is reported). Rows are counted as
// EventReader counts them (non-empty lines after the header).
//
// Ownership: owns the file descriptor. Not thread-safe: the sink serialises append() calls.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reco/data/event_log.h"

namespace reco::serve {

struct LogOpenReport {
  bool created = false;          ///< the file did not exist and was created with its header
  uint64_t torn_lines = 0;       ///< 0 or 1: a partial last line was truncated away
  uint64_t torn_bytes = 0;       ///< bytes truncated
};

class EventLogAppender {
 public:
  /// Opens (creating when missing) `path` for the engagement columns `types`. Throws kIo on a
  /// file error, kCorrupt when the header differs from the expected one.
  EventLogAppender(std::string path, const std::vector<std::string>& types);
  ~EventLogAppender();
  EventLogAppender(const EventLogAppender&) = delete;
  EventLogAppender& operator=(const EventLogAppender&) = delete;

  /// The header line EventWriter writes for `types` (with its '\n').
  static std::string header(const std::vector<std::string>& types);
  /// Appends one CSV row of `e` to `out`, byte for byte what EventWriter::write produces.
  static void format_row(std::string& out, const Event& e);

  /// Writes `rows` (whole lines, `n_rows` of them, the last one from request `last_request_id`)
  /// at the end of the file and fdatasyncs it; durable when it returns. Throws kIo (the file may
  /// then hold a partial tail: the caller must stop appending; reopening truncates it).
  void append(std::string_view rows, uint64_t n_rows, uint64_t last_request_id);

  uint64_t rows() const { return rows_; }
  /// Request id of the last row (0 when the log has no rows).
  uint64_t last_request_id() const { return last_request_id_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t syncs() const { return syncs_; }
  const LogOpenReport& open_report() const { return report_; }
  const std::string& path() const { return path_; }

 private:
  void create(const std::string& header_line);
  void scan_and_repair(const std::string& header_line);

  std::string path_;
  int fd_ = -1;
  uint64_t rows_ = 0;
  uint64_t last_request_id_ = 0;
  uint64_t bytes_ = 0;  // file size == offset of the next append
  uint64_t syncs_ = 0;
  LogOpenReport report_;
};

/// fsyncs a directory (after a rename or a file creation inside it). Throws kIo.
void fsync_directory(const std::string& dir);

}  // namespace reco::serve
