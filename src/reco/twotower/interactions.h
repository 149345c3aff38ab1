// Interactions — the training positives of a two-tower model, read from the interactions
// CSV of issue 7 (`user,item,weight,timestamp`, rows sorted by (user, timestamp)).
//
// Layout: users and items densified in first-seen order (user_ids[u] / item_ids[i] are the
// raw ids); rows grouped by user, in file order within a user (= time order), so the rows
// of user u are [user_begin[u], user_begin[u + 1]) and a row's history — the user's items
// before it — is a contiguous slice of `item`.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace reco::twotower {

struct Interactions {
  std::vector<uint64_t> user_ids, item_ids;  ///< raw id of each dense row
  std::vector<uint32_t> user, item;          ///< per interaction row
  std::vector<float> weight;                 ///< per row (1 when the file has no weights)
  std::vector<uint64_t> user_begin;          ///< users + 1 offsets into the rows
  size_t size() const { return item.size(); }
  size_t users() const { return user_ids.size(); }
  size_t items() const { return item_ids.size(); }

  /// Rows [from, row) of row's user, at most `history` of them, as item rows.
  std::span<const uint32_t> history_before(size_t row, size_t history) const;
  /// The last `history` items of user u (what the user tower sees at serving).
  std::span<const uint32_t> last_items(uint32_t u, size_t history) const;
  /// Training frequency of each item (count, or summed weight when `weighted`).
  std::vector<double> item_frequency(bool weighted) const;
};

/// Reads the CSV (plain or gzip; header tolerated); errors name file:line.
Interactions read_interactions(const std::string& path);
/// From raw (user, item) pairs in time order per user (tests); weights empty = all 1.
Interactions make_interactions(std::span<const uint64_t> users, std::span<const uint64_t> items,
                               std::span<const float> weights = {});

}  // namespace reco::twotower
