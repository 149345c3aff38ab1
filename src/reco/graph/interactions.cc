#include "reco/graph/interactions.h"

#include <algorithm>
#include <charconv>
#include <numeric>
#include <unordered_map>

#include "reco/core/error.h"
#include "reco/data/line_reader.h"
#include "reco/graph/sessions.h"

namespace reco::graph {

namespace {

template <class T>
bool parse_number(std::string_view s, T& v) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

Interactions read_interactions_csv(const std::string& path) {
  LineReader reader(path);
  Interactions out;
  std::string_view line;
  std::vector<std::string_view> f;
  static const char* kNames[] = {"user", "item", "weight", "timestamp"};
  while (reader.next(line)) {
    if (line.empty() || line.front() == '#') continue;
    f.clear();
    size_t start = 0;
    while (f.size() < 4) {
      const size_t comma = line.find(',', start);
      f.push_back(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    uint64_t u = 0, i = 0;
    if (!parse_number(f[0], u)) {
      if (reader.line_number() == 1) continue;  // header
      RECO_THROW(ErrorCode::kParse) << path << ":" << reader.line_number() << ": field 'user': expected an unsigned "
                                    << "integer id, got '" << f[0] << "'";
    }
    RECO_CHECK_CODE(f.size() >= 2, ErrorCode::kParse)
        << path << ":" << reader.line_number() << ": expected 'user,item[,weight[,timestamp]]', got one field";
    if (!parse_number(f[1], i))
      RECO_THROW(ErrorCode::kParse) << path << ":" << reader.line_number() << ": field 'item': expected an unsigned "
                                    << "integer id, got '" << f[1] << "'";
    float w = 1.0f;
    int64_t t = static_cast<int64_t>(out.size());
    if (f.size() > 2 && !parse_number(f[2], w))
      RECO_THROW(ErrorCode::kParse) << path << ":" << reader.line_number() << ": field '" << kNames[2]
                                    << "': expected a number, got '" << f[2] << "'";
    if (f.size() > 3 && !parse_number(f[3], t))
      RECO_THROW(ErrorCode::kParse) << path << ":" << reader.line_number() << ": field '" << kNames[3]
                                    << "': expected an integer, got '" << f[3] << "'";
    out.user.push_back(u);
    out.item.push_back(i);
    out.weight.push_back(w);
    out.timestamp.push_back(t);
  }
  return out;
}

ItemSequences sequences_by_user(const Interactions& in, int64_t gap_seconds) {
  // Dense user index in order of first appearance.
  std::unordered_map<uint64_t, uint32_t> index;
  std::vector<uint32_t> dense(in.size());
  for (size_t r = 0; r < in.size(); ++r) {
    auto [it, fresh] = index.try_emplace(in.user[r], static_cast<uint32_t>(index.size()));
    dense[r] = it->second;
  }
  const auto users = static_cast<uint32_t>(index.size());
  // gap <= 0: a gap larger than any difference keeps each user's rows in one session.
  const int64_t gap = gap_seconds > 0 ? gap_seconds : INT64_MAX;
  const Sessions s = cut_sessions(dense, users, in.timestamp, gap);
  // Rows ordered by (session, timestamp, row); sessions are numbered in (user, time) order.
  std::vector<size_t> order(in.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (s.session_of_row[a] != s.session_of_row[b]) return s.session_of_row[a] < s.session_of_row[b];
    return in.timestamp[a] < in.timestamp[b];
  });
  ItemSequences out;
  out.items.reserve(in.size());
  out.offsets.reserve(size_t{s.count} + 1);
  for (size_t k = 0; k < order.size(); ++k) {
    if (k > 0 && s.session_of_row[order[k]] != s.session_of_row[order[k - 1]]) out.offsets.push_back(k);
    out.items.push_back(in.item[order[k]]);
  }
  if (!order.empty()) out.offsets.push_back(order.size());
  return out;
}

}  // namespace reco::graph
