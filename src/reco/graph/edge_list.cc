#include "reco/graph/edge_list.h"

#include <charconv>

#include "reco/core/error.h"
#include "reco/data/dataset.h"
#include "reco/data/line_reader.h"

namespace reco::graph {

void EdgeListBuilder::add(uint64_t left, uint64_t right, float weight, bool weighted) {
  const uint32_t l = left_map_.insert(left);
  if (l == edges_.left_ids.size()) edges_.left_ids.push_back(left);
  const uint32_t r = right_map_.insert(right);
  if (r == edges_.right_ids.size()) edges_.right_ids.push_back(right);
  if (weighted && !weighted_) {
    weighted_ = true;
    edges_.weights.assign(edges_.left.size(), 1.0f);
  }
  edges_.left.push_back(l);
  edges_.right.push_back(r);
  if (weighted_) edges_.weights.push_back(weight);
}

EdgeList EdgeListBuilder::finish() {
  edges_.ids = "raw";
  EdgeList out = std::move(edges_);
  edges_ = EdgeList{};
  left_map_ = IdMap();
  right_map_ = IdMap();
  weighted_ = false;
  return out;
}

namespace {

bool parse_u64(std::string_view s, uint64_t& v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

void require_column(const Dataset& data, const std::string& column, const char* what) {
  if (!data.has(column)) {
    std::string names;
    for (const auto& c : data.columns()) names += (names.empty() ? "" : ", ") + c.name;
    RECO_THROW(ErrorCode::kNotFound) << data.path() << ": no column '" << column << "' (" << what
                                     << "); columns: " << names;
  }
}

}  // namespace

std::vector<uint64_t> column_raw_ids(const Dataset& data, const std::string& column, std::vector<uint8_t>& valid,
                                     std::string& how) {
  const ColumnInfo& info = data.column(column);
  RECO_CHECK(info.storage == ColumnStorage::kU32)
      << data.path() << ": column '" << column << "' is " << column_storage_name(info.storage)
      << "; an id column must be u32 (user_id / item_id / categorical) or i64";
  std::vector<uint64_t> ids(info.cardinality);
  valid.assign(info.cardinality, 1);
  if (!data.has_vocabulary(column)) {
    for (uint32_t i = 0; i < info.cardinality; ++i) ids[i] = i;
    how = "vocab";
    return ids;
  }
  const Vocabulary& vocab = data.vocabulary(column);
  bool numeric = true;
  for (uint32_t i = 1; i < info.cardinality && numeric; ++i) numeric = parse_u64(vocab.token(i), ids[i]);
  if (!numeric)
    for (uint32_t i = 0; i < info.cardinality; ++i) ids[i] = i;
  how = numeric ? "raw" : "vocab";
  if (info.cardinality > 0) {
    valid[Vocabulary::kOov] = 0;
    ids[Vocabulary::kOov] = UINT64_MAX;  // never referenced: OOV rows are skipped
  }
  return ids;
}

namespace {

// One id column as per-row dense indices plus the raw id of each index; valid[i] == 0 marks
// the OOV slot. u32 columns keep their vocabulary ids as indices; i64 columns are densified.
struct IndexedColumn {
  std::span<const uint32_t> rows;  // view into the dataset (u32) or into `owned`
  std::vector<uint32_t> owned;
  std::vector<uint64_t> ids;
  std::vector<uint8_t> valid;
  std::string how;
  uint32_t unused = 0;
};

void index_column(const Dataset& data, const std::string& column, IndexedColumn& out) {
  if (data.column(column).storage == ColumnStorage::kI64) {
    const auto values = data.i64(column);
    IdMap map(1024);
    out.owned.resize(values.size());
    for (size_t r = 0; r < values.size(); ++r) {
      const uint32_t i = map.insert(static_cast<uint64_t>(values[r]));
      if (i == out.ids.size()) out.ids.push_back(static_cast<uint64_t>(values[r]));
      out.owned[r] = i;
    }
    out.valid.assign(out.ids.size(), 1);
    out.rows = out.owned;
    out.how = "raw";
    return;
  }
  out.ids = column_raw_ids(data, column, out.valid, out.how);
  out.rows = data.u32(column);
  out.unused = data.has_vocabulary(column) ? 1 : 0;
}

}  // namespace

EdgeList read_dataset_edges(const Dataset& data, const std::string& left_column, const std::string& right_column,
                            const std::string& weight_column) {
  require_column(data, left_column, "--left");
  require_column(data, right_column, "--right");
  if (!weight_column.empty()) require_column(data, weight_column, "--weight");
  EdgeList e;
  e.left_name = left_column;
  e.right_name = right_column;
  IndexedColumn lc, rc;
  index_column(data, left_column, lc);
  index_column(data, right_column, rc);
  e.left_ids = std::move(lc.ids);
  e.right_ids = std::move(rc.ids);
  e.ids = lc.how == rc.how ? lc.how : "mixed";
  e.unused_left = lc.unused;
  e.unused_right = rc.unused;
  std::span<const float> wcol;
  if (!weight_column.empty()) wcol = data.f32(weight_column);
  e.left.reserve(lc.rows.size());
  e.right.reserve(rc.rows.size());
  if (!wcol.empty()) e.weights.reserve(wcol.size());
  for (size_t i = 0; i < lc.rows.size(); ++i) {
    if (!lc.valid[lc.rows[i]] || !rc.valid[rc.rows[i]]) {
      ++e.skipped;
      continue;
    }
    e.left.push_back(lc.rows[i]);
    e.right.push_back(rc.rows[i]);
    if (!wcol.empty()) e.weights.push_back(wcol[i]);
  }
  return e;
}

EdgeList read_csv_edges(const std::string& path) {
  LineReader in(path);
  EdgeListBuilder b;
  std::string_view line;
  bool any_weight = false;
  while (in.next(line)) {
    const int64_t line_no = in.line_number();
    if (line.empty() || line[0] == '#') continue;
    std::string_view fields[3];
    size_t n = 0, start = 0;
    while (n < 3) {
      const size_t comma = line.find(',', start);
      fields[n++] = line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    uint64_t l = 0, r = 0;
    const bool ok = n >= 2 && parse_u64(fields[0], l) && parse_u64(fields[1], r);
    if (!ok) {
      if (line_no == 1) continue;  // header
      RECO_THROW(ErrorCode::kParse) << path << ":" << line_no << ": expected 'left,right[,weight]' with unsigned "
                                    << "integer ids, got '" << line << "'";
    }
    float w = 1.0f;
    if (n == 3) {
      auto [p, ec] = std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), w);
      if (ec != std::errc() || p != fields[2].data() + fields[2].size())
        RECO_THROW(ErrorCode::kParse) << path << ":" << line_no << ": field 3 (weight): expected a number, got '"
                                      << fields[2] << "'";
      any_weight = true;
    }
    b.add(l, r, w, any_weight);
  }
  return b.finish();
}

}  // namespace reco::graph
