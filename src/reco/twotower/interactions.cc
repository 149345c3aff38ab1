#include "reco/twotower/interactions.h"

#include <algorithm>
#include <numeric>

#include "reco/core/error.h"
#include "reco/graph/edge_list.h"

namespace reco::twotower {

namespace {
// Groups rows by user (stable: the file's time order within a user is kept).
Interactions group_by_user(graph::EdgeList edges) {
  Interactions d;
  d.user_ids = std::move(edges.left_ids);
  d.item_ids = std::move(edges.right_ids);
  const size_t n = edges.size();
  std::vector<uint64_t> count(d.user_ids.size() + 1, 0);
  for (uint32_t u : edges.left) ++count[u + 1];
  std::partial_sum(count.begin(), count.end(), count.begin());
  d.user_begin = count;
  d.user.resize(n);
  d.item.resize(n);
  d.weight.assign(n, 1.0f);
  std::vector<uint64_t> next(count.begin(), count.end() - 1);
  for (size_t r = 0; r < n; ++r) {
    const uint64_t at = next[edges.left[r]]++;
    d.user[at] = edges.left[r];
    d.item[at] = edges.right[r];
    if (!edges.weights.empty()) d.weight[at] = edges.weights[r];
  }
  return d;
}
}  // namespace

std::span<const uint32_t> Interactions::history_before(size_t row, size_t history) const {
  const size_t begin = std::max<size_t>(user_begin[user[row]], row > history ? row - history : 0);
  return {item.data() + begin, row - begin};
}

std::span<const uint32_t> Interactions::last_items(uint32_t u, size_t history) const {
  const size_t end = user_begin[u + 1];
  const size_t begin = std::max<size_t>(user_begin[u], end > history ? end - history : 0);
  return {item.data() + begin, end - begin};
}

std::vector<double> Interactions::item_frequency(bool weighted) const {
  std::vector<double> f(items(), 0.0);
  for (size_t r = 0; r < size(); ++r) f[item[r]] += weighted ? weight[r] : 1.0;
  return f;
}

Interactions read_interactions(const std::string& path) {
  Interactions d = group_by_user(graph::read_csv_edges(path));
  RECO_CHECK(d.size() > 0) << path << ": no interactions";
  return d;
}

Interactions make_interactions(std::span<const uint64_t> users, std::span<const uint64_t> items,
                               std::span<const float> weights) {
  RECO_CHECK(users.size() == items.size()) << "make_interactions: users and items differ in length";
  graph::EdgeListBuilder b;
  for (size_t r = 0; r < users.size(); ++r)
    b.add(users[r], items[r], weights.empty() ? 1.0f : weights[r], !weights.empty());
  return group_by_user(b.finish());
}

}  // namespace reco::twotower
