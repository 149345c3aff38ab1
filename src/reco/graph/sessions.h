// Sessions: cut each user's time-ordered events wherever two consecutive events are more
// than `gap_seconds` apart (an inactivity gap; 30 minutes by default, the usual web
// analytics convention). The session index is a dense left-node id for a session-item
// graph, so session co-occurrence (seed 004 §11.2.2) is board co-occurrence on sessions.
//
// Rows are grouped by user with a counting sort on the dense user index, then sorted by
// (timestamp, row) within a user; sessions are numbered in (user, time) order, which makes
// the numbering independent of the input row order except for exact ties.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace reco::graph {

struct Sessions {
  std::vector<uint32_t> session_of_row;  ///< one per input row
  uint32_t count = 0;                    ///< number of sessions
  uint32_t users = 0;                    ///< users with at least one row
};

/// `user` holds dense indices < user_count; `timestamp` unix seconds, same length.
Sessions cut_sessions(std::span<const uint32_t> user, uint32_t user_count, std::span<const int64_t> timestamp,
                      int64_t gap_seconds);

}  // namespace reco::graph
