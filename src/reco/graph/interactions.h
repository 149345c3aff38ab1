// Interactions: the rows of an interactions CSV (`user,item,weight,timestamp`, written by
// `reco candidates split`, read by every embedding builder) held as four parallel columns.
//
// Layout: user/item raw u64 ids, weight f32, timestamp i64, one entry per row in file order
// (the split writes rows sorted by (user, timestamp); readers that need that order sort
// themselves, see sequences_by_user). The header line is optional; a row needs at least
// user and item; weight defaults to 1 and timestamp to the row index, so a plain
// "user,item" edge list is accepted too. Errors name file:line and the field.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace reco::graph {

struct Interactions {
  std::vector<uint64_t> user, item;
  std::vector<float> weight;
  std::vector<int64_t> timestamp;
  size_t size() const { return user.size(); }
};

Interactions read_interactions_csv(const std::string& path);

/// Item sequences, one per (user, session): `items` is the concatenation, sequence s is
/// items[offsets[s], offsets[s+1]). Built from interactions by sequences_by_user.
struct ItemSequences {
  std::vector<uint64_t> items;
  std::vector<size_t> offsets{0};
  size_t count() const { return offsets.size() - 1; }
};

/// Each user's rows in (timestamp, row) order, cut wherever two consecutive rows are more
/// than `gap_seconds` apart (gap <= 0: one sequence per user). Users appear in order of
/// their first row. Uses reco/graph/sessions.h for the cut.
ItemSequences sequences_by_user(const Interactions& in, int64_t gap_seconds);

}  // namespace reco::graph
