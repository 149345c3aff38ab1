#include "reco/graph/sessions.h"

#include <algorithm>

#include "reco/core/error.h"

namespace reco::graph {

Sessions cut_sessions(std::span<const uint32_t> user, uint32_t user_count, std::span<const int64_t> timestamp,
                      int64_t gap_seconds) {
  RECO_CHECK_EQ(user.size(), timestamp.size()) << "sessions: user and timestamp columns differ in length";
  RECO_CHECK_GE(gap_seconds, 0) << "sessions: --session-gap must be >= 0 seconds";
  const size_t n = user.size();
  std::vector<uint64_t> off(static_cast<size_t>(user_count) + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    RECO_CHECK_LT(user[i], user_count) << "sessions: user index of row " << i;
    ++off[user[i] + 1];
  }
  for (size_t u = 0; u < user_count; ++u) off[u + 1] += off[u];
  std::vector<uint32_t> rows(n);
  {
    std::vector<uint64_t> pos(off.begin(), off.end() - 1);
    for (size_t i = 0; i < n; ++i) rows[pos[user[i]]++] = static_cast<uint32_t>(i);
  }
  Sessions s;
  s.session_of_row.assign(n, 0);
  for (size_t u = 0; u < user_count; ++u) {
    auto b = rows.begin() + off[u], e = rows.begin() + off[u + 1];
    if (b == e) continue;
    ++s.users;
    std::sort(b, e, [&](uint32_t x, uint32_t y) {
      return timestamp[x] != timestamp[y] ? timestamp[x] < timestamp[y] : x < y;
    });
    int64_t prev = timestamp[*b];
    s.session_of_row[*b] = s.count;
    for (auto it = b + 1; it != e; ++it) {
      if (timestamp[*it] - prev > gap_seconds) ++s.count;
      s.session_of_row[*it] = s.count;
      prev = timestamp[*it];
    }
    ++s.count;
  }
  return s;
}

}  // namespace reco::graph
