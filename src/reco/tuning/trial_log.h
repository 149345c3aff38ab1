// Durable log of tuning trials: a JSON-lines file, one record per line, appended with write +
// fsync so that a crash loses at most the record being written.
//
// Layout:
//   line 1     {"reco_tune_log": 1, "header": {...}}        the run's identity (space, objective,
//                                                          constraints, seed); a resumed run must
//                                                          present the same header
//   line 2..   {"id": N, "status": "pending"|"complete"|"failed", "params": [...], "unit": [...],
//               "value": v, "constraints": [slack...], "info": {...}}
// A trial may appear several times (pending when proposed, complete when observed): the last
// record of an id wins. Reopening replays the file; a torn last line (no newline, or not JSON —
// the crash case) is cut off with ftruncate and reported; a bad line before the end is kCorrupt.
// Owns the open file descriptor; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace reco::tuning {

enum class TrialStatus { kPending, kComplete, kFailed };

struct Trial {
  int64_t id = 0;
  TrialStatus status = TrialStatus::kPending;
  std::vector<double> params;       // parameter values
  std::vector<double> unit;         // the same point in the unit cube
  double value = 0.0;               // objective (complete trials)
  std::vector<double> constraints;  // constraint slacks, feasible when all >= 0 (complete trials)
  nlohmann::json info = nlohmann::json::object();  // free: metric values, weights, timings
};

class TrialLog {
 public:
  /// Opens (creating if absent) the log at path. An existing log must carry the same header.
  TrialLog(const std::string& path, const nlohmann::json& header);
  /// The header of an existing log (kNotFound when absent, kCorrupt when not a tune log).
  static nlohmann::json read_header(const std::string& path);
  ~TrialLog();
  TrialLog(const TrialLog&) = delete;
  TrialLog& operator=(const TrialLog&) = delete;

  /// Appends one record durably (fsync) and updates trials().
  void append(const Trial& trial);
  /// Latest state of every trial, ordered by id.
  const std::vector<Trial>& trials() const { return trials_; }
  /// The next unused id.
  int64_t next_id() const;
  /// Bytes dropped from a torn last line when the log was opened (0 normally).
  size_t recovered_bytes() const { return recovered_bytes_; }
  const std::string& path() const { return path_; }

  static nlohmann::json to_json(const Trial& trial);
  static Trial from_json(const nlohmann::json& j);

 private:
  void upsert(Trial trial);

  std::string path_;
  int fd_ = -1;
  std::vector<Trial> trials_;
  size_t recovered_bytes_ = 0;
};

const char* trial_status_name(TrialStatus s);

}  // namespace reco::tuning
